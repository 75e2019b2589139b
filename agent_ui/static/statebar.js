// The header's identity and the state bar: my state with its time (or the wrap-up countdown)
// and the state buttons, plus the once-a-second redraw of every clock on screen.

import { $, formatDuration } from "./dom.js";
import { renderPending } from "./feedback.js";
import { codeLabel, t } from "./i18n.js";
import { S } from "./state.js";

export function renderIdentity() {
  const me = S.me;
  const node = $("agent-identity");
  if (!me) {
    node.textContent = "";
    return;
  }
  const named = me.name && !me.name.includes(me.extension);
  node.textContent = named ? `${me.name} · ${me.extension}` : me.name || t("header.agent", { name: me.extension });
}

function stateLabel(me) {
  if (me.state === "UNAVAILABLE" && me.unavailableCode) {
    const option = S.config.unavailableCodes.find((o) => o.code === me.unavailableCode);
    return `${t("state.UNAVAILABLE")} · ${option ? codeLabel(option) : me.unavailableCode}`;
  }
  return t(`state.${me.state}`);
}

/** A state button: its command key (feedback.js) and whether it is possible in this state. */
function setAction(node, key, disabled) {
  node.dataset.actionKey = key;
  node.dataset.disabled = String(Boolean(disabled));
  node.disabled = Boolean(disabled) || S.pending.has(key);
}

export function renderState() {
  const me = S.me || { state: "SIGN_OUT", stateSince: Date.now() };
  const pill = $("state-pill");
  pill.dataset.state = me.state;
  pill.textContent = stateLabel(me);
  $("state-bar").dataset.state = me.state;
  const signedOut = me.state === "SIGN_OUT";
  $("btn-sign-in").hidden = !signedOut;
  $("btn-available").textContent = me.state === "WRAP_UP" ? t("state.availableNow") : t("state.available");
  setAction($("btn-available"), "state-AVAILABLE", signedOut || me.state === "AVAILABLE");
  setAction($("btn-unavailable"), "state-UNAVAILABLE", signedOut);
  $("reason-select").disabled = signedOut;
  setAction($("btn-sign-out"), "state-SIGN_OUT", signedOut);
  setAction($("btn-sign-in"), "state-SIGN_IN", false);
  $("btn-available").setAttribute("aria-pressed", String(me.state === "AVAILABLE"));
  $("btn-unavailable").setAttribute("aria-pressed", String(me.state === "UNAVAILABLE"));
  tick();
  renderPending();
}

/** Once a second: timers on screen (time in state, call time, waiting time, wrap-up countdown). */
export function tick() {
  const now = Date.now();
  for (const node of document.querySelectorAll("[data-since]")) {
    const since = Number(node.dataset.since);
    if (Number.isFinite(since)) node.textContent = formatDuration((now - since) / 1000);
  }
  const me = S.me;
  const timer = $("state-timer");
  if (!me) {
    timer.textContent = "";
    return;
  }
  if (me.state === "WRAP_UP" && S.wrapUpEndsAt) {
    const left = Math.ceil((S.wrapUpEndsAt - now) / 1000);
    timer.dataset.countdown = String(Math.max(0, left));
    timer.textContent = left > 0 ? t("state.wrapupLeft", { time: formatDuration(left) }) : t("state.wrapupOver");
  } else {
    delete timer.dataset.countdown;
    timer.textContent = t("state.since", { time: formatDuration((now - me.stateSince) / 1000) });
  }
}
