// Keyboard shortcuts for the work agents repeat (templates/live/_shortcuts.html lists them). They never
// fire while the person types in a field or holds a modifier, and every action they take is also a
// button or a link on the page (WCAG 2.1.4). Progressive enhancement only.
(function () {
  "use strict";
  var QUEUE_KEY = "servicedesk.queue";

  function typing(target) {
    if (!target || !target.closest) return false;
    return !!target.closest("input, textarea, select, [contenteditable], [contenteditable=''], .modal.show");
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-live-scope=queue] tr[data-number]"));
  }

  function current() {
    var active = document.activeElement && document.activeElement.closest("tr[data-number]");
    return active ? rows().indexOf(active) : -1;
  }

  function select(index) {
    var list = rows();
    if (!list.length) return;
    index = Math.max(0, Math.min(list.length - 1, index));
    list.forEach(function (row) { row.classList.remove("table-active"); });
    list[index].classList.add("table-active");
    var link = list[index].querySelector("a");
    if (link) link.focus();
  }

  // The queue's order, kept for "n" on the incident pages opened from it.
  function rememberQueue() {
    var list = rows();
    if (!list.length) return;
    try {
      sessionStorage.setItem(QUEUE_KEY, JSON.stringify({
        url: window.location.pathname + window.location.search,
        numbers: list.map(function (row) { return row.dataset.number; }),
      }));
    } catch (e) { /* storage refused: "n" does nothing */ }
  }
  rememberQueue();
  document.addEventListener("live:refreshed", rememberQueue);

  function openAction(name, setup) {
    var details = document.querySelector('details[data-action="' + name + '"]');
    if (!details) return false;
    details.open = true;
    if (setup) setup(details);
    var field = details.querySelector("textarea, input:not([type=hidden]), select, button");
    if (field) field.focus();
    return true;
  }

  function comment(publicValue) {
    return openAction("comment", function (details) {
      var visibility = details.querySelector('select[name="public"]');
      if (visibility) visibility.value = publicValue;
      var body = details.querySelector("textarea");
      if (body) setTimeout(function () { body.focus(); }, 0);
    });
  }

  function nextIncident() {
    var here = document.querySelector("#live-incident[data-live-number]");
    var saved;
    try { saved = JSON.parse(sessionStorage.getItem(QUEUE_KEY) || "null"); } catch (e) { saved = null; }
    if (!here || !saved) return false;
    var at = saved.numbers.indexOf(here.dataset.liveNumber);
    var next = saved.numbers[at + 1];
    window.location.assign(next ? "/incidents/" + encodeURIComponent(next) + "/" : saved.url);
    return true;
  }

  function search() {
    var field = document.getElementById("id_q");
    if (!field) {
      window.location.assign("/incidents/?queue=all#search");
      return true;
    }
    var details = field.closest("details");
    if (details) details.open = true;
    field.focus();
    return true;
  }
  if (window.location.hash === "#search") search();

  function help() {
    var modal = document.getElementById("shortcuts");
    if (!modal || !window.bootstrap) return false;
    window.bootstrap.Modal.getOrCreateInstance(modal).show();
    return true;
  }

  var actions = {
    "j": function () { var i = current(); select(i < 0 ? 0 : i + 1); return rows().length > 0; },
    "k": function () { var i = current(); select(i < 0 ? 0 : i - 1); return rows().length > 0; },
    "o": function () {
      var row = rows()[current()];
      var link = row && row.querySelector("a");
      if (link) { link.click(); return true; }
      return false;
    },
    "/": search,
    "a": function () {
      var take = document.querySelector('[data-testid="action-take"]');
      if (!take) return false;
      take.requestSubmit ? take.requestSubmit() : take.submit();
      return true;
    },
    "r": function () { return comment("1"); },
    "i": function () { return comment("0"); },
    "s": function () { return openAction("resolve"); },
    "n": nextIncident,
    "?": help,
  };

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typing(event.target)) return;
    var action = actions[event.key];
    if (action && action()) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-show-shortcuts]")) help();
  });
})();
