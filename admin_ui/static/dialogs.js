// Modal dialogs (native <dialog>: Escape closes, focus stays inside): a form, and a yes/no
// question the page can await.

import { el } from "./dom.js";
import { t } from "./i18n.js";

/** Opens a dialog holding `form` (its submit handler stays the caller's); returns the dialog. */
export function openDialog(title, form) {
  const dialog = el("dialog", { class: "dialog", "aria-label": title }, el("h3", {}, title), form);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** Asks `question`; resolves true on OK, false on cancel or Escape. */
export function ask(question) {
  return new Promise((resolve) => {
    let answer = false;
    const ok = el("button", { type: "button", class: "primary", id: "confirm-ok", onclick: () => { answer = true; dialog.close(); } }, "OK");
    const cancel = el("button", { type: "button", id: "confirm-cancel", onclick: () => dialog.close() }, t("cancel"));
    const dialog = el("dialog", { class: "dialog", role: "alertdialog" }, el("p", {}, question), el("div", { class: "buttons" }, ok, cancel));
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    ok.focus();
  });
}
