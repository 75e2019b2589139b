// The wallboard page: reads one call center's board as Server-Sent Events over fetch (so the
// kiosk token travels in the Authorization header) and draws it. Red is the API's decision.

const TEXTS = {
  nl: {
    waiting: "Wachtend", longest_wait: "Langste wachttijd", service_level: "Service level vandaag",
    agents: "Agenten", AVAILABLE: "Beschikbaar", BUSY: "In gesprek", WRAP_UP: "Nawerk",
    UNAVAILABLE: "Niet beschikbaar", SIGN_IN: "Aangemeld",
    live: "live", connecting: "verbinden…", offline: "geen verbinding, opnieuw…",
    within: (s) => `binnen ${s} s`, no_token: "Geen kiosk-token in de link (#cc=…&token=…).",
    refused: "Deze link werkt niet meer (token ingetrokken of onjuist).",
  },
  en: {
    waiting: "Waiting", longest_wait: "Longest wait", service_level: "Service level today",
    agents: "Agents", AVAILABLE: "Available", BUSY: "On a call", WRAP_UP: "Wrap-up",
    UNAVAILABLE: "Unavailable", SIGN_IN: "Signed in",
    live: "live", connecting: "connecting…", offline: "disconnected, retrying…",
    within: (s) => `within ${s} s`, no_token: "No kiosk token in the link (#cc=…&token=…).",
    refused: "This link no longer works (token revoked or wrong).",
  },
};
const RETRY_MS = 3000;

const params = new URLSearchParams(location.hash.slice(1));
const cc = params.get("cc");
const token = params.get("token");
let lang = params.get("lang") === "en" ? "en" : "nl";
let board = null;
let receivedAt = 0;

const $ = (id) => document.getElementById(id);
const text = (key) => TEXTS[lang][key];

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function setStatus(state) {
  $("status").dataset.state = state;
  $("status").textContent = text(state);
}

function showMessage(key) {
  $("message").textContent = text(key);
  $("message").hidden = false;
  $("board").hidden = true;
}

function applyLanguage() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-text]")) el.textContent = text(el.dataset.text);
  setStatus($("status").dataset.state);
  if (board) render();
}

function longestNow() {
  if (!board || board.waiting === 0) return 0;
  return board.longest_wait_seconds + (Date.now() - receivedAt) / 1000;
}

function render() {
  $("title").textContent = board.call_center.name;
  document.title = `Wallboard ${board.call_center.name}`;
  $("value-waiting").textContent = String(board.waiting);
  $("value-longest_wait").textContent = clock(longestNow());
  const sl = board.service_level;
  $("value-service_level").textContent = sl === null ? "–" : `${Math.round(sl * 100)}%`;
  $("note-service_level").textContent = text("within")(board.service_level_seconds);
  for (const [state, count] of Object.entries(board.agents)) {
    const cell = $(`agents-${state}`);
    if (cell) cell.textContent = String(count);
  }
  for (const tile of document.querySelectorAll(".tile")) {
    tile.classList.toggle("red", board.red.includes(tile.dataset.figure));
  }
  $("message").hidden = true;
  $("board").hidden = false;
}

// Parses `event:`/`data:` blocks out of the byte stream; calls onEvent(name, data) for each.
async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      onEvent(name, data ? JSON.parse(data) : null);
    }
  }
}

// Resolves true to reconnect, false when the token is refused (no point retrying).
async function follow() {
  setStatus("connecting");
  const answer = await fetch(`/api/v1/wallboards/${encodeURIComponent(cc)}/stream`, {
    headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" },
    cache: "no-store",
  });
  if (answer.status === 401 || answer.status === 403 || answer.status === 404) return false;
  if (!answer.ok || !answer.body) return true;
  let ended = false;
  await readEvents(answer.body, (name, data) => {
    if (name === "board") {
      board = data;
      receivedAt = Date.now();
      setStatus("live");
      render();
    } else if (name === "end") {
      ended = true;
    }
  });
  return !ended;
}

async function run() {
  for (;;) {
    let again = true;
    try {
      again = await follow();
    } catch {
      again = true;
    }
    if (!again) {
      setStatus("offline");
      showMessage("refused");
      return;
    }
    setStatus("offline");
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

for (const link of document.querySelectorAll("[data-lang]")) {
  link.addEventListener("click", (event) => {
    event.preventDefault();
    lang = link.dataset.lang;
    applyLanguage();
  });
}
setInterval(() => {
  if (board) $("value-longest_wait").textContent = clock(longestNow());
}, 1000);
applyLanguage();
if (cc && token) run();
else showMessage("no_token");
