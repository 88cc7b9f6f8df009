// The import page's progress (issue 24 §4): while the run is queued or running, ask its status
// every second and move the bar and the counts; when it is done, reload to show the report.
(function () {
  "use strict";

  var box = document.getElementById("import-progress");
  if (!box || !box.dataset.url || box.dataset.finished === "1") return;
  var bar = box.querySelector("progress");

  function show(status) {
    Object.keys(status).forEach(function (name) {
      var el = box.querySelector('[data-field="' + name + '"]');
      if (el) el.textContent = String(status[name]);
    });
    if (bar) bar.value = status.percent;
  }

  function poll() {
    fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) { window.setTimeout(poll, 3000); return; }
        show(status);
        if (status.finished) { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }

  window.setTimeout(poll, 500);
})();
