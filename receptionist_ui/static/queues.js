// Premium: the call-center queues the receptionist may act on, with the supervisor's own
// commands (the public GraphQL API: `callCenters`; per waiting call `retrieveCall` to the own
// phone, `moveCall` to another call center, `promoteCall` one priority up, `reorderCall` one
// place up; per call center `setNightServiceOverride` and `setForcedForwarding`), so the
// rights are the receptionist's account's: a supervisor's call centers, or every one for an
// admin; an agent sees the call centers it joined and is refused the supervisor's actions by
// the API, which the page says as it is.

import * as api from "./api.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 2000;
const MAX_PRIORITY = 9; // common/priorities.py
const QUEUES = "{ callCenters { id name number nightServiceOverride forcedForwarding " +
  "waitingCalls { callId caller position priority waitingSeconds } } }";
const COMMANDS = {
  take: "mutation($c: ID!, $e: String!) { retrieveCall(callId: $c, extension: $e) " +
    "{ accepted } }",
  move: "mutation($c: ID!, $t: ID!) { moveCall(callId: $c, toCallCenterId: $t) { accepted } }",
  promote: "mutation($c: ID!, $p: Int!) { promoteCall(callId: $c, priority: $p) { accepted } }",
  up: "mutation($c: ID!, $p: Int!) { reorderCall(callId: $c, position: $p) { accepted } }",
  night: "mutation($cc: ID!, $o: Boolean) { setNightServiceOverride(callCenterId: $cc, " +
    "override: $o) { accepted } }",
  forward: "mutation($cc: ID!, $e: Boolean!, $d: String) { setForcedForwarding(" +
    "callCenterId: $cc, enabled: $e, destination: $d) { accepted } }",
};
// The night service select: follow the schedule (null), forced on, forced off.
const NIGHT = { schedule: null, on: true, off: false };
let ui = null; // { el, say, extension: () => own extension }
let timer = null;

export function setupQueues(helpers) {
  ui = helpers;
}

export function followQueues(tier) {
  clearInterval(timer);
  timer = null;
  $("queues-section").hidden = tier !== "premium";
  if (tier !== "premium") return;
  loadQueues();
  timer = setInterval(loadQueues, REFRESH_MS);
}

export function stopQueues() {
  clearInterval(timer);
  timer = null;
}

async function command(name, variables) {
  document.activeElement?.blur(); // done with the control: the panel may refresh again
  try {
    await api.graphql(COMMANDS[name], variables);
    ui.say(t("queueDid")[name]);
  } catch (error) {
    ui.say(t("queueRefused")(error.message), true);
  }
  loadQueues();
}

function button(cls, words, onclick, disabled = false) {
  const attrs = { type: "button", class: cls, onclick };
  if (disabled) attrs.disabled = "";
  return ui.el("button", attrs, words);
}

function moveSelect(call, here, callCenters) {
  const { el } = ui;
  const others = callCenters.filter((cc) => cc.id !== here.id);
  return el("select", {
    class: "move-to", "aria-label": t("moveTo"),
    onchange: (event) => event.target.value &&
      command("move", { c: call.callId, t: event.target.value }),
  }, el("option", { value: "" }, t("moveTo")),
  ...others.map((cc) => el("option", { value: cc.id }, `${cc.name} (${cc.number})`)));
}

function waitingNode(call, here, callCenters) {
  const { el } = ui;
  const c = call.callId;
  return el("li", { class: "waiting", "data-call-id": c, "data-priority": String(call.priority),
    "data-position": String(call.position) },
  el("span", {}, call.caller || t("hidden")),
  el("span", { class: "muted" }, t("waited")(Math.round(call.waitingSeconds))),
  el("span", { class: "muted" }, t("priority")(call.priority)),
  button("take", t("take"), () => command("take", { c, e: ui.extension() })),
  moveSelect(call, here, callCenters),
  button("promote", t("promote"), () => command("promote", { c, p: call.priority + 1 }),
    call.priority >= MAX_PRIORITY),
  button("up", t("up"), () => command("up", { c, p: call.position - 1 }), call.position <= 1));
}

function nightSelect(cc) {
  const { el } = ui;
  const now = Object.keys(NIGHT).find((k) => NIGHT[k] === cc.nightServiceOverride) || "schedule";
  const select = el("select", {
    class: "night", "aria-label": t("nightService"),
    onchange: (event) => command("night", { cc: cc.id, o: NIGHT[event.target.value] }),
  }, ...Object.keys(NIGHT).map((k) => el("option", { value: k }, t("night")[k])));
  select.value = now;
  return select;
}

function forwardingNode(cc) {
  const { el } = ui;
  if (cc.forcedForwarding) {
    return button("forward", t("forwardOff"),
      () => command("forward", { cc: cc.id, e: false, d: null }));
  }
  const to = el("input", { class: "forward-to", inputmode: "tel", maxlength: "32",
    "aria-label": t("forwardTo"), placeholder: t("forwardTo") });
  return el("span", {}, to, button("forward", t("forwardOn"),
    () => command("forward", { cc: cc.id, e: true, d: to.value.trim() || null })));
}

async function loadQueues() {
  const active = document.activeElement;
  if ($("queues").contains(active) && active.matches("input, select")) return; // being used
  try {
    const { callCenters } = await api.graphql(QUEUES);
    const { el } = ui;
    $("queues").replaceChildren(...callCenters.map((cc) => el("li", {
      class: "queue", "data-cc": cc.id, "data-night": String(cc.nightServiceOverride),
      "data-forced": String(cc.forcedForwarding),
    },
    el("strong", {}, `${cc.name} (${cc.number})`),
    el("span", { class: "count" }, t("waiting")(cc.waitingCalls.length)),
    nightSelect(cc),
    forwardingNode(cc),
    el("ul", { class: "waiting-calls" },
      ...cc.waitingCalls.map((call) => waitingNode(call, cc, callCenters))))));
  } catch (error) {
    if (error.status === 401) stopQueues();
  }
}
