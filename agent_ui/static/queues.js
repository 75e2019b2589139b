// The queue overview: per call center of mine the waiting calls, the longest wait, the available
// agents and my place in the agent list.

import { $, el, formatDuration, replaceChildren } from "./dom.js";
import { t } from "./i18n.js";
import { S } from "./state.js";

/** How a call center is named on screen: "Sales (7001)", or its id while it is not loaded. */
export function centerName(id) {
  const cc = id ? S.centers.get(String(id)) : null;
  if (cc) return `${cc.name} (${cc.number})`;
  return id ? String(id) : "";
}

function stat(label, value, tone, name, since) {
  return el(
    "div",
    { class: `stat ${tone || ""}`, dataset: { stat: name } },
    el("dt", {}, label),
    el("dd", since ? { dataset: { since } } : {}, value),
  );
}

function waitingList(cc) {
  if (!cc.waiting.length) return el("p", { class: "muted small" }, t("queues.noneWaiting"));
  return el(
    "ol",
    { class: "waiting-list" },
    [...cc.waiting]
      .sort((a, b) => a.position - b.position)
      .slice(0, 5)
      .map((w) =>
        el(
          "li",
          {},
          el("span", { class: "waiting-caller" }, w.caller || t("calls.unknownCaller")),
          el("span", { class: "waiting-time", dataset: { since: w.arrivedAt } }, formatDuration((Date.now() - w.arrivedAt) / 1000)),
        ),
      ),
  );
}

function queueCard(cc, me) {
  const oldest = cc.waiting.reduce((min, w) => Math.min(min, w.arrivedAt), Infinity);
  const available = cc.agents.filter((a) => a.state === "AVAILABLE").length;
  const index = cc.agents.findIndex((a) => a.extension === me);
  return el(
    "article",
    { class: "queue-card", dataset: { callCenter: cc.id, waiting: cc.waiting.length } },
    el("header", { class: "queue-head" }, el("h3", {}, cc.name), el("span", { class: "muted" }, cc.number)),
    el(
      "dl",
      { class: "queue-stats" },
      stat(t("queues.waiting"), String(cc.waiting.length), cc.waiting.length ? "warn" : "", "waiting"),
      stat(
        t("queues.longest"),
        Number.isFinite(oldest) ? formatDuration((Date.now() - oldest) / 1000) : "–",
        "",
        "longest",
        Number.isFinite(oldest) ? oldest : null,
      ),
      stat(t("queues.available"), `${available}/${cc.agents.length}`, "", "available"),
      index >= 0 ? stat(t("queues.position"), t("queues.positionValue", { position: index + 1, count: cc.agents.length }), "", "position") : null,
    ),
    waitingList(cc),
  );
}

export function renderQueues() {
  const centers = [...S.centers.values()].sort((a, b) => String(a.number).localeCompare(String(b.number)));
  const me = S.me ? S.me.extension : null;
  if (!centers.length) {
    replaceChildren($("queues-list"), el("p", { class: "empty" }, t("queues.none")));
    return;
  }
  replaceChildren($("queues-list"), centers.map((cc) => queueCard(cc, me)));
}
