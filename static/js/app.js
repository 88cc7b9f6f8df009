// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Keep Bootstrap widgets alive in fragments that htmx swaps in.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    event.detail.target.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (el) {
      bootstrap.Tooltip.getOrCreateInstance(el);
    });
  });
})();
