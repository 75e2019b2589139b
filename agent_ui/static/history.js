// The call history tab: my recent calls with a call-back button.

import { dialButton } from "./dialer.js";
import { $, el, formatDuration, listRow, replaceChildren } from "./dom.js";
import { renderPending } from "./feedback.js";
import { language, t } from "./i18n.js";
import { centerName } from "./queues.js";
import { S } from "./state.js";
import { timelineButton, totalsBlock } from "./today.js";
import { dispositionLabel } from "./wrapup.js";

function historyRow(h) {
  const when = h.answeredAt ? new Date(h.answeredAt * 1000) : null;
  const time = when ? when.toLocaleString(language() === "nl" ? "nl-NL" : "en-GB", { dateStyle: "short", timeStyle: "short" }) : "";
  const sub = [
    time,
    h.talkSeconds != null ? t("history.talk", { time: formatDuration(h.talkSeconds) }) : null,
    h.disposition ? dispositionLabel(h.disposition) : null,
    h.callCenterId ? centerName(h.callCenterId) : null,
  ]
    .filter(Boolean)
    .join(" · ");
  return listRow(
    { dataset: { callId: h.callId } },
    h.caller || t("calls.unknownCaller"),
    sub,
    h.caller ? dialButton(h.caller, t("history.call", { number: h.caller })) : null,
    timelineButton(h.callId),
  );
}

export function renderHistory() {
  const rows = S.history.map(historyRow);
  replaceChildren(
    $("panel-history"),
    totalsBlock(),
    rows.length ? el("ul", { class: "rows" }, rows) : el("p", { class: "empty" }, t("history.none")),
  );
  renderPending();
}
