// Progressive enhancement only: every page works without this file. No script or handler is
// written inline in a template (the Content-Security-Policy forbids them): behaviour is attached
// here from data-* attributes.
(function () {
  "use strict";
  // Keep Bootstrap widgets alive in fragments that htmx swaps in.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    event.detail.target.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (el) {
      bootstrap.Tooltip.getOrCreateInstance(el);
    });
  });
  // <button data-print>: print the page (the register, a major incident's review).
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      window.print();
    }
  });
})();
