// Today's totals (time available, unavailable per code, wrap-up average, calls handled) and a
// call's decision timeline, read from the REST API with the session's token (docs/agent_ui.md).

import { el, formatDuration } from "./dom.js";
import { language, t } from "./i18n.js";
import { S } from "./state.js";

async function rest(path) {
  const answer = await fetch(path, { headers: { Authorization: `Bearer ${S.token}` } });
  if (!answer.ok) throw new Error(`${path}: ${answer.status}`);
  return answer.json();
}

/** Re-read my totals (the history tab shows them above my calls). */
export async function refreshTotals() {
  const extension = S.me && S.me.extension;
  if (!extension) return;
  try {
    const [mine] = await rest(`/api/v1/agent-totals?agent=${encodeURIComponent(extension)}`);
    S.totals = mine || null;
  } catch (_) {
    S.totals = null; // an older server without totals, or no reports yet: no block
  }
}

export function totalsBlock() {
  const totals = S.totals;
  if (!totals) return null;
  const unavailable = Object.entries(totals.unavailable_seconds)
    .map(([code, seconds]) => `${code || t("today.noCode")} ${formatDuration(seconds)}`)
    .join(", ");
  const average = totals.wrap_up_average_seconds;
  const item = (key, value) => el("div", { dataset: { total: key } }, el("dt", {}, t(`today.${key}`)), el("dd", {}, value));
  return el(
    "section",
    { id: "today-totals", class: "today", "aria-label": t("today.heading") },
    el("h3", {}, t("today.heading")),
    el(
      "dl",
      {},
      item("handled", String(totals.calls_handled)),
      item("available", formatDuration(totals.available_seconds)),
      item("unavailable", unavailable || "0:00"),
      item("wrapUp", average === null ? "–" : formatDuration(average)),
    ),
  );
}

function decisionLine(d) {
  const time = new Date(d.at * 1000).toLocaleTimeString(language() === "nl" ? "nl-NL" : "en-GB");
  const where = [d.agent, d.call_center_id].filter(Boolean).join(" · ");
  return el(
    "li",
    { dataset: { type: d.type } },
    el("span", { class: "muted" }, time),
    " ",
    el("strong", {}, d.type),
    where ? ` ${where}` : "",
    `: ${d.reason}`,
  );
}

/** A button that shows (or hides) the call's decision timeline under its history row. */
export function timelineButton(callId) {
  return el("button", {
    type: "button",
    class: "btn-small",
    dataset: { timeline: callId },
    onclick: async (event) => {
      const row = event.currentTarget.closest("li");
      const open = row.querySelector("ol.timeline");
      if (open) {
        open.remove();
        return;
      }
      let list;
      try {
        const timeline = await rest(`/api/v1/calls/${encodeURIComponent(callId)}/timeline`);
        list = el("ol", { class: "timeline" }, timeline.decisions.map(decisionLine));
      } catch (_) {
        list = el("ol", { class: "timeline" }, el("li", { class: "muted" }, t("today.noTimeline")));
      }
      row.appendChild(list);
    },
  }, t("today.timeline"));
}
