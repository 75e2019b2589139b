// One place that tells the admin what happened: a refusal with its field and reason (and the
// form's input of that field marked), or a short confirmation.

import { ApiError } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";

/** A live region for a page's messages. */
export function messageBox() {
  return el("p", { class: "message", role: "status", "aria-live": "polite" });
}

export function done(box, text) {
  box.className = "message ok";
  box.textContent = text;
}

/** A failure the page itself reports (not an API refusal), e.g. a dry run's bad rows. */
export function failed(box, text) {
  box.className = "message error";
  box.textContent = text;
}

/** Shows `error` in `box`; an ApiError names its field, which is marked in `form`. */
export function refused(box, error, form = null) {
  box.className = "message error";
  if (!(error instanceof ApiError)) {
    box.textContent = String(error?.message ?? error);
    return;
  }
  box.textContent = t("error", { status: error.status, field: error.field, reason: error.reason });
  box.dataset.field = error.field;
  if (form) {
    unmark(form);
    const named = form.querySelector(`[name="${CSS.escape(error.field.split(".")[0])}"]`);
    if (named) {
      named.setAttribute("aria-invalid", "true");
      named.focus();
    }
  }
}

function unmark(form) {
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

/** Runs `action`; its refusal goes to `box` (with `form`'s field marked). True if it worked. */
export async function attempt(box, action, form = null) {
  try {
    await action();
    if (form) unmark(form);
    return true;
  } catch (error) {
    refused(box, error, form);
    return false;
  }
}
