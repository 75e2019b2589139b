// Premium: the call-center queues the receptionist may act on, with the supervisor's own
// commands (the public GraphQL API, `callCenters` and `retrieveCall`), so the rights are the
// receptionist's account's: a supervisor's call centers, or every one for an admin; an agent
// sees the call centers it joined and is refused the supervisor's actions by the API.

import * as api from "./api.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 2000;
const QUEUES = "{ callCenters { id name number waitingCalls { callId caller waitingSeconds } } }";
const RETRIEVE = "mutation($c: ID!, $e: String!) { retrieveCall(callId: $c, extension: $e) " +
  "{ accepted } }";
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

async function take(callId) {
  try {
    await api.graphql(RETRIEVE, { c: callId, e: ui.extension() });
    ui.say(t("taken"));
  } catch (error) {
    ui.say(error.message, true);
  }
}

function waitingNode(call) {
  const { el } = ui;
  return el("li", { class: "waiting", "data-call-id": call.callId },
    el("span", {}, call.caller || t("hidden")),
    el("span", { class: "muted" }, t("waited")(Math.round(call.waitingSeconds))),
    el("button", { type: "button", class: "take", onclick: () => take(call.callId) },
      t("take")));
}

async function loadQueues() {
  try {
    const { callCenters } = await api.graphql(QUEUES);
    const { el } = ui;
    $("queues").replaceChildren(...callCenters.map((cc) => el("li",
      { class: "queue", "data-cc": cc.id },
      el("strong", {}, `${cc.name} (${cc.number})`),
      el("span", { class: "count" }, t("waiting")(cc.waitingCalls.length)),
      el("ul", { class: "waiting-calls" }, ...cc.waitingCalls.map(waitingNode)))));
  } catch (error) {
    if (error.status === 401) stopQueues();
  }
}
