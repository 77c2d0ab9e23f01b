// In-page confirm dialogs: a button with data-dialog-open="<id>" opens that <dialog>; a button
// with data-dialog-close closes the dialog it sits in. Delegated, so panels swapped in by htmx work.
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-dialog-open]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.dialogOpen);
    if (dialog) dialog.showModal();
    return;
  }
  const closer = event.target.closest("[data-dialog-close]");
  if (closer) closer.closest("dialog")?.close();
});

// The Pic-Time panel polls for changes only while the tab is visible and nobody is using it
// (no form open in the panel, no dialog open, no request of its own running).
window.pictimeLiveIdle = () =>
  !document.hidden &&
  !document.querySelector(
    "#pictime-galleries[data-busy], #pictime-live dialog[open], #pictime-live form.htmx-request, #pictime-live .pt-link .htmx-request"
  );
