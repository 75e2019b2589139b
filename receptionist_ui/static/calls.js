// The receptionist's call actions on the call of their own phone (docs/receptionist.md):
// attended transfer (consult, complete, back to the caller), conference, camp-on, park for a
// colleague (the slot shown until it is taken), and pickup of a colleague's ringing call. The
// panel shows what is in progress, live from the stream's `actions` events.

import * as api from "./api.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let ui = null; // { el, say }
let current = { consult: null, campOns: [], parked: [], notice: "" };

const GOOD_NEWS = new Set([
  "consult_handed_over", "consult_stopped", "consult_hung_up", "consult_call_ended", "recall",
]);

export function setupCalls(helpers) {
  ui = helpers;
}

// Per colleague: the actions a tile offers (pickup only while the colleague rings).
export const TILE_ACTIONS = ["consult", "campOn", "park", "conference"];

export async function act(action, target) {
  const path = { consult: "consult", campOn: "camp-on", park: "park", pickup: "pickup",
    announce: "announce",
    conference: "conference", complete: "consult/complete", back: "consult/back" }[action];
  try {
    await api.callAction(path, target);
    ui.say(t("did")[action](target));
  } catch (error) {
    ui.say(error.message, true);
  }
}

export function tileButtons(tile) {
  const { el } = ui;
  const names = tile.state === "ringing" ? ["pickup", ...TILE_ACTIONS] : TILE_ACTIONS;
  return names.map((action) => el("button", {
    type: "button", class: action, onclick: (event) => {
      event.stopPropagation(); act(action, tile.extension);
    },
  }, t("actions")[action]));
}

export function applyActions(actions) {
  current = actions;
  renderActions();
  if (actions.notice) { // "kind:detail", said once
    const [kind, detail] = actions.notice.split(/:(.*)/s);
    const words = t("notices");
    ui.say(words[kind] ? words[kind](detail) : actions.notice, !GOOD_NEWS.has(kind));
  }
}

export function renderActions() {
  if (!ui) return;
  const { el } = ui;
  const { consult, campOns, parked } = current;
  const items = [];
  if (consult) {
    items.push(el("li", { class: "consult", "data-target": consult.target,
      "data-joined": String(consult.joined), "data-mode": consult.mode },
    el("span", {}, t("consulting")(consult.target, consult.joined, consult.mode)),
    el("button", { type: "button", class: "complete", onclick: () => act("complete") },
      t("actions").complete),
    el("button", { type: "button", class: "back", onclick: () => act("back") },
      t("actions").back),
    consult.mode === "consult" ? el("button", { type: "button", class: "conference",
      onclick: () => act("conference", consult.target) }, t("actions").conference) : ""));
  }
  for (const wait of campOns) {
    items.push(el("li", { class: "camp-on", "data-target": wait.target },
      t("campingOn")(wait.callerName || wait.caller, wait.target)));
  }
  for (const wait of parked) {
    items.push(el("li", { class: "parked", "data-target": wait.target },
      t("parkedFor")(wait.callerName || wait.caller, wait.target),
      el("button", { type: "button", class: "announce",
        onclick: () => act("announce", wait.target) }, t("actions").announce)));
  }
  $("calls").replaceChildren(...items);
  $("calls-section").hidden = items.length === 0;
}

// Keys on the picked colleague: c consult, w camp-on, p park, g pick up, k conference; and on
// the consultation: f complete the transfer, r back to the caller.
export function onCallKey(key, picked) {
  const onPicked = { c: "consult", w: "campOn", p: "park", g: "pickup", k: "conference" }[key];
  if (onPicked && picked) {
    act(onPicked, picked.extension);
    return true;
  }
  if (key === "k" && current.consult) {
    act("conference", current.consult.target);
    return true;
  }
  if (key === "f" && current.consult) {
    act("complete");
    return true;
  }
  if (key === "r" && current.consult) {
    act("back");
    return true;
  }
  return false;
}
