// Attachment previews (issue 23 §5): a thumbnail opens its viewer, a <dialog> on the incident page.
// Delegated from the document: the live updates replace the timeline's HTML.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    const opener = event.target.closest("[data-preview-open]");
    if (opener) {
      const dialog = document.getElementById(opener.dataset.previewOpen);
      if (dialog && typeof dialog.showModal === "function") {
        event.preventDefault();
        dialog.showModal();
      }
      return;
    }
    const closer = event.target.closest("[data-preview-close]");
    if (closer) {
      closer.closest("dialog").close();
      return;
    }
    // A click on the backdrop (the dialog itself, outside its content) closes it too.
    const dialog = event.target;
    if (dialog instanceof HTMLDialogElement && dialog.classList.contains("preview-dialog")) {
      const box = dialog.getBoundingClientRect();
      const inside = event.clientX >= box.left && event.clientX <= box.right &&
        event.clientY >= box.top && event.clientY <= box.bottom;
      if (!inside) {
        dialog.close();
      }
    }
  });
})();
