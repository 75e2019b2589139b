// What the agent is told while a command runs and when it fails: buttons busy while their
// command is under way, "Could not <action>: <reason> (<server message>)." toasts, and polite
// screen-reader announcements.

import { GraphQLError, NetworkError } from "./gql.js";
import { $, el } from "./dom.js";
import { has, t } from "./i18n.js";
import { S } from "./state.js";

function errorText(action, error) {
  const code = error && error.code ? error.code : "ERROR";
  const first = error && Array.isArray(error.errors) ? error.errors[0] : null;
  const refusal = first && first.extensions ? first.extensions.reason : null;
  // An error code has its own message when the dictionaries name it; any other is "error".
  const reason = refusal === "not_supported" ? t("error.notSupported") : t(has(`error.${code}`) ? `error.${code}` : "error.ERROR");
  const detail = error && error.message ? String(error.message) : "";
  return `${t("error.prefix", { action: t(`action.${action}`) })}: ${reason}${detail ? ` (${detail})` : ""}.`;
}

/** Show that `action` failed, in the chosen language. */
export function toastError(action, error) {
  toast(errorText(action, error), "error");
}

/** Run a mutation for a button: disable it meanwhile, show a clear message when it fails. */
export async function act(action, key, run) {
  if (S.pending.has(key)) return null;
  S.pending.add(key);
  renderPending();
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof GraphQLError) && !(error instanceof NetworkError)) console.error(error);
    toastError(action, error);
    return null;
  } finally {
    S.pending.delete(key);
    renderPending();
  }
}

/** Disable every button whose command (data-action-key) is under way or not possible now. */
export function renderPending() {
  for (const node of document.querySelectorAll("[data-action-key]")) {
    node.disabled = S.pending.has(node.dataset.actionKey) || node.dataset.disabled === "true";
    node.setAttribute("aria-busy", S.pending.has(node.dataset.actionKey) ? "true" : "false");
  }
}

/**
 * A button that runs the command `actionKey` (busy while it runs, see renderPending). `key` keeps
 * keyboard focus on it across redraws (dom.js replaceChildren) when it differs from the action.
 */
export function actionButton(label, actionKey, onclick, { class: extraClass = "", key = actionKey, attrs = {} } = {}) {
  return el(
    "button",
    { type: "button", class: `btn ${extraClass}`.trim(), dataset: { actionKey, key, disabled: "false" }, onclick, ...attrs },
    label,
  );
}

export function toast(text, kind = "info", ttlMs = kind === "error" ? 12000 : 5000) {
  const box = $("toasts");
  const item = el(
    "div",
    { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" },
    el("span", { class: "toast-text" }, text),
    el("button", { class: "toast-close", type: "button", "aria-label": t("toast.close"), onclick: () => item.remove() }, "×"),
  );
  box.appendChild(item);
  while (box.children.length > 4) box.firstElementChild.remove();
  setTimeout(() => item.remove(), ttlMs);
}

/** Tell screen-reader users about an offered call (a polite live region, text only). */
export function announce(text) {
  const region = $("announcer");
  region.textContent = "";
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}
