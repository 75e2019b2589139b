// The calls panel: a card per own call (phase, caller, queue, screen pop, buttons, disposition),
// the wrap-up cards after them, and the tab title that shows a ringing call.

import { answer, hangUp, holdOrResume, ringingCall, toggleRecording } from "./commands.js";
import { $, el, formatDuration, replaceChildren } from "./dom.js";
import { actionButton, renderPending } from "./feedback.js";
import { t } from "./i18n.js";
import { centerName } from "./queues.js";
import { screenPopCard } from "./screenpop.js";
import { S } from "./state.js";
import { openTransfer } from "./transfer.js";
import { dispositionForm, wrapUpCard } from "./wrapup.js";

function callActions(call) {
  if (call.phase === "RINGING") {
    // No "decline": hanging up a ringing call would drop the caller too. A phone that rejects
    // the offer makes the engine bounce the call to the next agent.
    if (!S.features.answer) return [el("span", { class: "hint" }, t("calls.ringingHint"))];
    return [
      actionButton(t("calls.answer"), `answer-${call.callId}`, () => answer(call), {
        class: "btn-available",
        attrs: { "aria-keyshortcuts": "Alt+A" },
      }),
    ];
  }
  const held = call.phase === "HELD";
  return [
    actionButton(held ? t("calls.resume") : t("calls.hold"), `${held ? "resume" : "hold"}-${call.callId}`, () => holdOrResume(call), {
      attrs: { "aria-keyshortcuts": "Alt+H", "aria-pressed": String(held) },
    }),
    actionButton(t("calls.transfer"), `transfer-${call.callId}`, () => openTransfer(call), {
      attrs: { "aria-keyshortcuts": "Alt+T" },
    }),
    actionButton(
      [el("span", { class: "rec-dot", "aria-hidden": "true" }), t("calls.record")],
      `rec-${call.callId}`,
      () => toggleRecording(call),
      { class: call.recording ? "btn-rec on" : "btn-rec", attrs: { "aria-pressed": String(call.recording), "aria-keyshortcuts": "Alt+R" } },
    ),
    actionButton(t("calls.hangup"), `hangup-${call.callId}`, () => hangUp(call), {
      class: "btn-danger",
      attrs: { "aria-keyshortcuts": "Alt+X" },
    }),
  ];
}

function callCard(call) {
  const phaseText = call.phase === "RINGING" ? t("calls.ringing") : call.phase === "HELD" ? t("calls.held") : t("calls.connected");
  const via = call.callCenterId ? t("calls.queue", { name: centerName(call.callCenterId) }) : t("calls.direct");
  const dispo =
    call.phase === "RINGING" ? null : dispositionForm(call.callId, call.disposition, true, call.callCenterId);
  return el(
    "article",
    {
      class: `call-card phase-${call.phase.toLowerCase()}`,
      dataset: { callId: call.callId, phase: call.phase },
      "aria-label": `${phaseText}: ${call.caller || t("calls.unknownCaller")}`,
    },
    el(
      "header",
      { class: "call-head" },
      el("span", { class: "phase-badge" }, phaseText),
      call.recording ? el("span", { class: "rec-badge" }, t("calls.recording")) : null,
      el("span", { class: "call-timer", dataset: { since: call.since } }, formatDuration((Date.now() - call.since) / 1000)),
    ),
    el("div", { class: "caller-number" }, call.caller || t("calls.unknownCaller")),
    el("div", { class: "call-via muted" }, via),
    screenPopCard(call.screenPop),
    el("div", { class: "call-actions", role: "group", "aria-label": t("calls.actions") }, callActions(call)),
    dispo,
  );
}

/** The tab title shows a ringing call, so an agent in another tab sees it. */
export function updateTitle() {
  const base = `${S.config.productName} ${t("app.title")}`;
  const ringing = ringingCall();
  document.title = ringing ? `☎ ${ringing.caller || t("calls.unknownCaller")} · ${base}` : base;
}

export function renderCalls() {
  updateTitle();
  const calls = [...S.calls.values()].sort((a, b) => (a.phase === "RINGING") - (b.phase === "RINGING") || a.since - b.since);
  replaceChildren($("calls-list"), calls.map(callCard));
  $("calls-empty").hidden = calls.length > 0 || S.wrapups.size > 0;
  replaceChildren($("wrapups"), [...S.wrapups.values()].map(wrapUpCard));
  renderPending();
}
