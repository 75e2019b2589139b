// Manager/Assistant in the console (docs/manager-assistant.md): for a user who is a manager or
// assists one, each manager's call filtering (on/off), the assistant's opt-in, and the filtered
// calls, live, with "put through" (the manager hears who it is first) and "to the manager's
// voicemail". Self-contained: app.js imports it once; it starts when the console shows and
// stops when it hides. A user who is neither sees nothing of it.

import { call, events } from "./api.js";
import { language } from "./i18n.js";

const BASE = "/api/v1/me/manager-assistant";
const WORDS = {
  nl: {
    title: "Manager/Assistent", filterOn: "Filteren: aan", filterOff: "Filteren: uit",
    optedIn: "Ik neem waar", optedOut: "Ik neem niet waar", putThrough: "Doorverbinden",
    voicemail: "Voicemail manager", none: "Geen gefilterde gesprekken",
    outcomes: {
      ringing: "gaat over bij", answered: "aangenomen door", put_through: "doorverbonden door",
      diverted: "omgeleid door", not_answered: "niet aangenomen door",
    },
    ended: "beëindigd",
  },
  en: {
    title: "Manager/Assistant", filterOn: "Filtering: on", filterOff: "Filtering: off",
    optedIn: "I take the calls", optedOut: "I do not take the calls", putThrough: "Put through",
    voicemail: "Manager's voicemail", none: "No filtered calls",
    outcomes: {
      ringing: "ringing at", answered: "answered by", put_through: "put through by",
      diverted: "diverted by", not_answered: "not answered by",
    },
    ended: "ended",
  },
};
const word = (key) => (WORDS[language()] || WORDS.en)[key];
const state = { mine: null, calls: [] };
let live = null;

const node = (tag, props, ...children) => {
  const made = Object.assign(document.createElement(tag), props);
  made.append(...children);
  return made;
};

function panel() {
  let section = document.getElementById("assistant");
  if (!section) {
    section = node("section", { id: "assistant", className: "assistant", hidden: true });
    document.getElementById("live").before(section);
  }
  return section;
}

async function act(method, path, body) {
  const message = document.getElementById("message");
  try {
    await call(method, path, body);
    await refresh();
  } catch (error) {
    message.textContent = error.message;
    message.className = "message error";
    message.hidden = false;
  }
}

function managerItem(manager, assisted) {
  const item = node("li", { className: "manager" },
    node("strong", {}, manager.name || manager.extension), ` (${manager.extension}) `,
    node("button", {
      type: "button", className: "filter",
      onclick: () => act("PATCH", `${BASE}/managers/${manager.extension}`,
        { filtering: !manager.filtering }),
    }, word(manager.filtering ? "filterOn" : "filterOff")));
  item.dataset.manager = manager.extension;
  item.dataset.filtering = String(manager.filtering);
  const me = assisted && manager.assistants.find((a) => a.extension === state.mine.extension);
  if (me) {
    item.append(" ", node("button", {
      type: "button", className: "opt",
      onclick: () => act("PUT", `${BASE}/managers/${manager.extension}/opt-in`,
        { opted_in: !me.opted_in }),
    }, word(me.opted_in ? "optedIn" : "optedOut")));
  }
  return item;
}

function callItem(entry, assists) {
  const outcome = word("outcomes")[entry.outcome] || entry.outcome;
  const item = node("li", { className: "filtered" },
    `${entry.caller_name || entry.caller} → ${entry.manager}: ${outcome} ${entry.assistant}`,
    entry.ended ? ` (${word("ended")})` : "");
  item.dataset.call = entry.call_id;
  item.dataset.outcome = entry.outcome;
  item.dataset.ended = String(entry.ended);
  if (!entry.ended && assists.has(entry.manager)) {
    const path = `${BASE}/filtered-calls/${encodeURIComponent(entry.call_id)}`;
    item.append(" ",
      node("button", { type: "button", className: "put-through",
        onclick: () => act("POST", `${path}/put-through`) }, word("putThrough")),
      " ",
      node("button", { type: "button", className: "to-voicemail",
        onclick: () => act("POST", `${path}/divert`, { to: "voicemail" }) }, word("voicemail")));
  }
  return item;
}

function render() {
  const section = panel();
  const { mine } = state;
  section.hidden = !mine || (!mine.manager && mine.assists.length === 0);
  if (section.hidden) return;
  const managers = [
    ...(mine.manager ? [managerItem(mine.manager, false)] : []),
    ...mine.assists.map((m) => managerItem(m, true)),
  ];
  const assists = new Set(mine.assists.map((m) => m.extension));
  const calls = state.calls.length
    ? state.calls.map((entry) => callItem(entry, assists))
    : [node("li", { className: "hint" }, word("none"))];
  section.replaceChildren(
    node("h2", {}, word("title")),
    node("ul", { id: "ma-managers" }, ...managers),
    node("ol", { id: "ma-calls" }, ...calls),
  );
}

async function refresh() {
  const [mine, listed] = await Promise.all([
    call("GET", BASE), call("GET", `${BASE}/filtered-calls`),
  ]);
  state.mine = mine;
  state.calls = listed.calls;
  render();
}

function start() {
  live?.abort();
  const controller = live = new AbortController();
  (async () => {
    while (!controller.signal.aborted) {
      try {
        await refresh();
        await events(`${BASE}/live`, () => refresh().catch(() => {}), controller.signal);
      } catch (error) {
        if (controller.signal.aborted || error.status === 401) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();
}

function stop() {
  live?.abort();
  live = null;
  state.mine = null;
  render();
}

const consoleView = document.getElementById("console-view");
new MutationObserver(() => (consoleView.hidden ? stop() : start()))
  .observe(consoleView, { attributes: true, attributeFilter: ["hidden"] });
document.getElementById("lang").addEventListener("click", render);
