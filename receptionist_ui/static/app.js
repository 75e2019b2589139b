// The receptionist console: sign in, the receptionist's own phone (answer from here), the grid
// of monitored colleagues with live states, the company directory (and the contacts, contacts.js), blind transfer of the call
// on the receptionist's phone. The phone is a desk phone or the browser (the agent client's
// softphone module, loaded from /agent/: chosen per session, calls ring and are answered here).
// The other call actions (consult, camp-on, park, pickup, conference) are calls.js's. Keyboard
// first: "a" answers, "h" holds or resumes, "/" searches, 1-9 picks a tile, "t" transfers to the picked colleague,
// Delete stops monitoring it, Escape goes back to the grid; calls.js's keys besides.

import { answerRinging, setupSoftphone, startSoftphone, stopSoftphone } from "/agent/softphone.js";
import * as api from "./api.js";
import "./assistant.js"; // the Manager/Assistant panel, for a manager or an assistant
import { act, applyActions, onCallKey, renderActions, setupCalls, tileButtons } from "./calls.js";
import { showContacts } from "./contacts.js"; // the contacts found by the search
import "./dialbox.js"; // the dial box: the browser phone calls, else click-to-dial
import { loadHistory, setupHistory } from "./history.js";
import { language, setLanguage, t } from "./i18n.js";
import { popEnded, popFor } from "./pop.js";
import { followQueues, setupQueues, stopQueues } from "./queues.js";

const $ = (id) => document.getElementById(id);
const view = { extension: "", tierName: "", limit: null, own: null, tiles: [], picked: -1 };
let live = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function say(text, error = false) {
  const message = $("message");
  message.textContent = text;
  message.className = error ? "message error" : "message";
  message.hidden = !text;
}

function describe(tile) {
  const state = t("states")[tile.state] || tile.state;
  if (!tile.remote) return state;
  return `${state} ${t("with")} ${tile.remoteName || tile.remote}`;
}

function tileNode(tile, index) {
  return el(
    "li",
    {
      class: "tile", "data-ext": tile.extension, "data-state": tile.state, tabindex: "0",
      "aria-selected": String(index === view.picked), onclick: () => pick(index),
    },
    el("span", { class: "key" }, index < 9 ? String(index + 1) : ""),
    el("strong", {}, tile.name || tile.extension),
    el("span", { class: "ext" }, tile.extension),
    el("span", { class: "state" }, describe(tile)),
    el("button", { type: "button", class: "transfer", onclick: (e) => {
      e.stopPropagation(); transferTo(tile.extension);
    } }, t("transfer")),
    el("button", { type: "button", class: "voicemail", onclick: (e) => {
      e.stopPropagation(); voicemailOf(tile.extension);
    } }, t("voicemail")),
    el("button", { type: "button", class: "remove", onclick: (e) => {
      e.stopPropagation(); unmonitor(tile.extension);
    } }, t("unmonitor")),
    el("span", { class: "actions" }, ...tileButtons(tile)),
  );
}

function renderOwn() {
  if (!view.own) return;
  popFor(view.own);
  popEnded(view.own);
  $("own").dataset.state = view.own.state;
  $("own-state").textContent = `${view.own.extension}: ${describe(view.own)}`;
  $("answer").disabled = view.own.state !== "ringing";
  const held = view.own.state === "held";
  $("hold").disabled = !held && view.own.state !== "on_call";
  $("hold").textContent = t("actions")[held ? "resume" : "hold"];
}

// Hold, or resume the held call ("h" and the button in My phone).
const holdOrResume = () => act(view.own?.state === "held" ? "resume" : "hold");

function render() {
  $("licence").textContent = t("licence")(view.tierName, view.tiles.length, view.limit);
  $("grid").replaceChildren(...view.tiles.map(tileNode));
  renderOwn();
  renderActions();
}

function pick(index) {
  view.picked = index;
  render();
  $("grid").children[index]?.focus();
}

function applyTile(tile) {
  if (tile.extension === view.extension) {
    const rings = tile.state === "ringing" && view.own?.state !== "ringing";
    view.own = tile;
    renderOwn();
    if (rings) setTimeout(loadHistory, 500); // the call is in the history as it rings
  }
  const index = view.tiles.findIndex((x) => x.extension === tile.extension);
  if (index < 0) return;
  view.tiles[index] = tile;
  const node = tileNode(tile, index);
  $("grid").children[index].replaceWith(node);
}

async function load() {
  const state = await api.consoleState();
  Object.assign(view, state);
  render();
  applyActions(state.actions);
}

async function monitored(extensions) {
  try {
    const result = await api.setMonitored(extensions);
    view.tiles = result.tiles;
    say("");
    render();
    restartLive();
  } catch (error) {
    say(error.message, true);
  }
}

const monitor = (extension) =>
  monitored([...view.tiles.map((x) => x.extension), extension]);
const unmonitor = (extension) =>
  monitored(view.tiles.map((x) => x.extension).filter((x) => x !== extension));

async function transferTo(target) {
  try {
    await api.transfer(target);
    say(t("transferred")(target));
  } catch (error) {
    say(error.message, true);
  }
}

async function voicemailOf(target) {
  try {
    await api.toVoicemail(target);
    say(t("toVoicemail")(target));
  } catch (error) {
    say(error.message, true);
  }
}

async function answerCall() {
  if (answerRinging()) { // the browser phone rings: it answers itself, no round trip to the PBX
    say(t("answered"));
    return;
  }
  try {
    await api.answer();
    say(t("answered"));
  } catch (error) {
    say(error.message, true);
  }
}

async function search() {
  const q = $("search").value;
  showContacts(q, transferTo, (error) => say(error.message, true));
  try {
    const { users } = await api.searchDirectory(q);
    $("results").replaceChildren(...users.map((user) => el(
      "li",
      { class: "user", "data-ext": user.extension, "data-state": user.state },
      el("strong", {}, user.name || user.extension),
      el("span", { class: "ext" }, user.extension),
      el("span", { class: "state" }, describe(user)),
      el("button", { type: "button", class: "monitor", onclick: () => monitor(user.extension) },
        t("monitor")),
      el("button", { type: "button", class: "transfer", onclick: () => transferTo(user.extension) },
        t("transfer")),
    )));
  } catch (error) {
    say(error.message, true);
  }
}

function restartLive() {
  live?.abort();
  const controller = live = new AbortController();
  (async () => {
    let delay = 500;
    while (!controller.signal.aborted) {
      try {
        $("live").textContent = t("live");
        $("live").dataset.connected = "true";
        await api.follow(applyTile, applyActions, controller.signal);
        delay = 500;
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error.status === 401) return signOut();
      }
      $("live").textContent = t("reconnecting");
      $("live").dataset.connected = "false";
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10000);
      if (!controller.signal.aborted) await load().catch(() => {});
    }
  })();
}

function signOut() {
  live?.abort();
  stopQueues();
  stopSoftphone();
  api.session.token = null;
  $("console-view").hidden = true;
  $("login-view").hidden = false;
}

async function start() {
  $("login-view").hidden = true;
  $("console-view").hidden = false;
  try {
    await load();
  } catch (error) {
    say(error.message, true);
    return;
  }
  restartLive();
  loadHistory();
  followQueues(view.tier); // Premium
  startSoftphone(); // when this session chose the browser phone
}

function onKey(event) {
  if ($("console-view").hidden) return;
  const typing = event.target instanceof HTMLInputElement;
  if (event.key === "Escape") {
    $("search").blur();
    pick(Math.max(view.picked, 0));
    return;
  }
  if (typing) return;
  if (event.key === "/") {
    event.preventDefault();
    $("search").focus();
  } else if (/^[1-9]$/.test(event.key) && Number(event.key) <= view.tiles.length) {
    pick(Number(event.key) - 1);
  } else if (event.key === "a") {
    answerCall();
  } else if (event.key === "h") {
    holdOrResume();
  } else if (event.key === "v" && view.tiles[view.picked]) {
    voicemailOf(view.tiles[view.picked].extension);
  } else if (event.key === "t" && view.tiles[view.picked]) {
    transferTo(view.tiles[view.picked].extension);
  } else if (event.key === "Delete" && view.tiles[view.picked]) {
    unmonitor(view.tiles[view.picked].extension);
  } else {
    onCallKey(event.key, view.tiles[view.picked]);
  }
}

setLanguage(language());
setupCalls({ el, say });
setupHistory({ el, say });
setupQueues({ el, say, extension: () => view.extension });
setupSoftphone({
  token: () => api.session.token,
  language,
  toast: (text, kind) => say(text, kind === "error"),
  modeKey: "opencc.receptionist.phone",
  userAgent: "OpenCC receptionist console",
});
$("lang").textContent = language() === "nl" ? "EN" : "NL";
$("lang").addEventListener("click", () => {
  setLanguage(language() === "nl" ? "en" : "nl");
  $("lang").textContent = language() === "nl" ? "EN" : "NL";
  render();
  loadHistory();
  setupSoftphone(); // the panel in the new language
});
$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api.signIn($("login-username").value, $("login-password").value);
    $("login-error").hidden = true;
    await start();
  } catch (error) {
    $("login-error").textContent = error.message;
    $("login-error").hidden = false;
  }
});
$("logout").addEventListener("click", signOut);
$("answer").addEventListener("click", answerCall);
$("hold").addEventListener("click", holdOrResume);
$("search-form").addEventListener("submit", (event) => { event.preventDefault(); search(); });
$("search").addEventListener("input", search);
document.addEventListener("keydown", onKey);
if (api.session.token) start(); else $("login-view").hidden = false;
