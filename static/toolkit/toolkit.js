// The response picker in the incident page's comment box (issue 23): type to find a response
// template; choosing one inserts its text, variables filled in for this incident, at the cursor.
// Progressive enhancement only: without this file the comment box works as before.
(function () {
  "use strict";

  function picker(textarea, url, text) {
    var wrap = document.createElement("div");
    wrap.className = "mb-2";
    var id = "tk-response-q";
    var label = document.createElement("label");
    label.className = "form-label small mb-0";
    label.htmlFor = id;
    label.textContent = text;
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.className = "form-control form-control-sm";
    input.setAttribute("autocomplete", "off");
    input.setAttribute("data-testid", "response-search");
    var list = document.createElement("div");
    list.className = "list-group list-group-flush small";
    list.setAttribute("data-testid", "response-results");
    list.setAttribute("role", "list");
    wrap.append(label, input, list);
    textarea.parentNode.insertBefore(wrap, textarea);

    var timer = null;
    function search() {
      fetch(url + "?q=" + encodeURIComponent(input.value), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) {
          list.replaceChildren();
          data.results.forEach(function (item) {
            var button = document.createElement("button");
            button.type = "button";
            button.className = "list-group-item list-group-item-action";
            button.setAttribute("role", "listitem");
            button.textContent = item.title;
            button.addEventListener("click", function () {
              var start = textarea.selectionStart || textarea.value.length;
              var end = textarea.selectionEnd || textarea.value.length;
              textarea.value = textarea.value.slice(0, start) + item.text + textarea.value.slice(end);
              textarea.focus();
              list.replaceChildren();
            });
            list.appendChild(button);
          });
        });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); search(); }
    });
  }

  // The timer of the time-worked form: it counts while it runs and fills the minutes when stopped.
  // The panel arrives by htmx, so the click is caught on the document.
  var started = null;
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-tk-timer]");
    if (!button) return;
    var minutes = button.form.querySelector('input[name="minutes"]');
    if (started === null) {
      started = Date.now();
      button.textContent = button.dataset.stop;
    } else {
      minutes.value = Math.max(1, Math.round((Date.now() - started) / 60000));
      started = null;
      button.textContent = button.dataset.start;
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.querySelector("[data-toolkit-panel]");
    var form = document.querySelector('form[data-testid="action-comment"]');
    if (!panel || !form) return;
    var textarea = form.querySelector("textarea");
    if (textarea) picker(textarea, panel.dataset.responsesUrl, panel.dataset.label);
  });
})();
