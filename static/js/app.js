// Small behaviours without inline handlers (the Content-Security-Policy allows no inline script).
document.addEventListener("focusin", (event) => {
  if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
});
document.addEventListener("click", (event) => {
  if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
});
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field.matches && field.matches("[data-submit-on-change]") && field.form) field.form.requestSubmit();
});

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

// The Pic-Time panel fetches what changed only while the tab is visible and nobody is using it
// (no form open in the panel, no dialog open, no request of its own running).
window.pictimeLiveIdle = () =>
  !document.hidden &&
  !document.querySelector(
    "#pictime-galleries[data-busy], #pictime-live dialog[open], #pictime-live form.htmx-request, #pictime-live .pt-link .htmx-request"
  );

// With the live process (data-events), its stream tells the panel's newest version, and the panel
// is fetched when it shows another. Without it, or while its stream is down, the panel asks every
// data-poll-seconds. A stream refused for good (an expired ticket, a proxy's 502 during a deploy) is
// opened again at most every 10 s, from the panel's newest ticket. A project gone, or a membership
// taken away (the panel's answer is 404 or 403), ends both.
let pictimeStream = null;
let pictimeStreamOpened = 0;
let pictimeNewest = null;
let pictimeEnded = false;
function pictimeListen() {
  const live = document.getElementById("pictime-live");
  if (pictimeEnded || !live || !live.dataset.events || !window.EventSource) return;
  if (pictimeStream && pictimeStream.readyState !== EventSource.CLOSED) return;
  if (pictimeStream && Date.now() - pictimeStreamOpened < 10000) return;
  pictimeStreamOpened = Date.now();
  pictimeStream = new EventSource(live.dataset.events);
  pictimeStream.addEventListener("changed", (event) => {
    pictimeNewest = event.data;
    pictimePoll();
  });
}
function pictimePoll() {
  const live = document.getElementById("pictime-live");
  pictimeListen();
  if (pictimeEnded || !live || !window.htmx || !window.pictimeLiveIdle()) return;
  const told = pictimeStream && pictimeStream.readyState === EventSource.OPEN;
  if (told && (pictimeNewest === null || pictimeNewest === live.dataset.version)) return;
  window.htmx.trigger(live, "pictime:poll");
}
document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr.status;
  if (event.target.id === "pictime-live" && (status === 403 || status === 404)) {
    pictimeEnded = true;
    if (pictimeStream) pictimeStream.close();
  }
});
(function schedulePoll() {
  const live = document.getElementById("pictime-live");
  const seconds = Number((live && live.dataset.pollSeconds) || 1);
  setTimeout(() => {
    pictimePoll();
    schedulePoll();
  }, seconds * 1000);
})();
document.addEventListener("visibilitychange", pictimePoll);
document.addEventListener("DOMContentLoaded", pictimeListen);

// Copy buttons: data-copy="<id of a field>" copies its value, then says "Copied" for a moment.
// The Clipboard API needs a secure context (https, or localhost); elsewhere the selection is copied.
document.addEventListener("click", async (event) => {
  const button = event.target.closest && event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  try {
    await navigator.clipboard.writeText(field.value);
  } catch {
    field.select();
    document.execCommand("copy");
  }
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  button.textContent = "Copied";
  clearTimeout(button.copiedTimer);
  button.copiedTimer = setTimeout(() => (button.textContent = label), 2000);
});

// Escape closes the Pic-Time panel's Add gallery dialog, as its Cancel link does.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const cancel = document.querySelector(".pt-overlay .pt-cancel");
  if (cancel) cancel.click();
});
