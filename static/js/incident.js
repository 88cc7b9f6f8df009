// Incident pages: SLA countdowns, the priority preview and the subcategory filter.
// Progressive enhancement only: without this file every form still submits and validates.
(function () {
  "use strict";

  function human(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d > 0) return d + "d " + h + "h";
    if (h > 0) return h + "h " + m + "m";
    return m + "m " + (s % 60) + "s";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("time[data-countdown]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("datetime"));
      if (isNaN(due)) return;
      if (!el.dataset.absolute) el.dataset.absolute = el.textContent;
      var left = due - now;
      // The words come translated from the page (templates/base.html); English without them.
      var words = document.body.dataset;
      var text = (left >= 0 ? words.countdownIn || "in {time}" : words.countdownOverdue || "overdue by {time}")
        .replace("{time}", human(left));
      if (el.hasAttribute("data-paused")) text = words.countdownPaused || "paused";
      el.textContent = text;
      el.title = el.dataset.absolute;
      el.classList.toggle("text-danger", left < 0);
      el.classList.toggle("fw-semibold", left < 0);
    });
  }

  function priorityPreview() {
    var data = document.getElementById("priority-matrix");
    var out = document.getElementById("priority-preview");
    var impact = document.getElementById("id_impact");
    var urgency = document.getElementById("id_urgency");
    if (!data || !out || !impact || !urgency) return;
    var matrix = JSON.parse(data.textContent);
    var labels = {1: "P1 critical", 2: "P2 high", 3: "P3 moderate", 4: "P4 low", 5: "P5 planning"};
    var classes = {1: "danger", 2: "warning", 3: "info", 4: "secondary", 5: "light"};
    function update() {
      var p = matrix[impact.value + "-" + urgency.value];
      if (!p) p = Math.min(5, Number(impact.value) + Number(urgency.value) - 1);
      out.textContent = out.getAttribute("data-label-" + p) || labels[p] || "—";
      out.className = "badge fs-6 text-bg-" + (classes[p] || "secondary");
    }
    impact.addEventListener("change", update);
    urgency.addEventListener("change", update);
    update();
  }

  function subcategoryFilter() {
    document.querySelectorAll("select[data-subcategory-of]").forEach(function (sub) {
      var parent = document.getElementById(sub.dataset.subcategoryOf);
      if (!parent) return;
      function update() {
        sub.querySelectorAll("option[data-parent]").forEach(function (opt) {
          var show = parent.value !== "" && opt.dataset.parent === parent.value;
          opt.hidden = !show;
          opt.disabled = !show;
          if (!show && opt.selected) sub.value = "";
        });
      }
      parent.addEventListener("change", update);
      update();
    });
  }

  function bulkFields() {
    var op = document.getElementById("id_operation");
    if (!op) return;
    var person = document.getElementById("id_assigned_to");
    var group = document.getElementById("id_assignment_group");
    function update() {
      person.closest("div").hidden = op.value !== "assign";
      group.closest("div").hidden = op.value !== "move";
    }
    op.addEventListener("change", update);
    update();
  }

  priorityPreview();
  subcategoryFilter();
  bulkFields();
  tick();
  setInterval(tick, 1000);
})();
