// The recording portal: sign in, search, play in the browser, label, mail a link, download.

import { ApiError, downloadLink, mailLink, playerLink, search, session, setLabels, signIn } from "./api.js";

const $ = (id) => document.getElementById(id);
let selected = null;

function show(view) {
  $("login-view").hidden = view !== "login";
  $("portal-view").hidden = view !== "portal";
}

function say(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

function failed(error) {
  if (error instanceof ApiError && error.status === 401) {
    session.token = null;
    show("login");
    return;
  }
  say(error instanceof ApiError && error.status === 403
    ? "You have no recording licence." : `Failed: ${error.message}`, true);
}

function minutes(seconds) {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.append(td);
}

function dayStart(value) { return value ? new Date(`${value}T00:00:00`).toISOString() : ""; }
function dayEnd(value) {
  if (!value) return "";
  const end = new Date(`${value}T00:00:00`);
  end.setDate(end.getDate() + 1);
  return end.toISOString();
}

async function runSearch() {
  say("Searching...");
  try {
    const page = await search({
      since: dayStart($("f-since").value), until: dayEnd($("f-until").value),
      user: $("f-user").value.trim(), number: $("f-number").value.trim(),
      call_center: $("f-call-center").value.trim(), label: $("f-label").value.trim(),
    });
    const body = $("results").querySelector("tbody");
    body.replaceChildren();
    for (const rec of page.items) {
      const row = document.createElement("tr");
      row.dataset.id = rec.id;
      cell(row, new Date(rec.ended_at).toLocaleString());
      cell(row, rec.user);
      cell(row, rec.caller);
      cell(row, rec.called);
      cell(row, rec.call_center || "-");
      cell(row, minutes(rec.duration_seconds));
      cell(row, rec.labels.join(", "));
      const action = document.createElement("td");
      const play = document.createElement("button");
      play.type = "button";
      play.className = "play";
      play.textContent = "Play";
      play.addEventListener("click", () => open(rec));
      action.append(play);
      row.append(action);
      body.append(row);
    }
    say(`${page.total} recording(s)`);
  } catch (error) {
    failed(error);
  }
}

async function open(rec) {
  selected = rec;
  $("detail").hidden = false;
  $("detail-title").textContent = `${rec.caller} -> ${rec.called}, ${new Date(rec.ended_at).toLocaleString()}`;
  $("labels").value = rec.labels.join(", ");
  try {
    const link = await playerLink(rec.id);
    $("player").src = link.url;
    await $("player").play().catch(() => {}); // autoplay may be refused: the controls remain
  } catch (error) {
    failed(error);
  }
}

async function download(wav) {
  if (!selected) return;
  try {
    const link = await downloadLink(selected.id, wav);
    window.location.assign(link.url);
  } catch (error) {
    failed(error);
  }
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("login-error").hidden = true;
  try {
    await signIn($("login-username").value.trim(), $("login-password").value);
    $("identity").textContent = $("login-username").value.trim();
    show("portal");
    await runSearch();
  } catch (error) {
    $("login-error").textContent = error.status === 401 ? "Wrong username or password." : error.message;
    $("login-error").hidden = false;
  }
});

$("search-form").addEventListener("submit", (event) => { event.preventDefault(); runSearch(); });

$("labels-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!selected) return;
  const labels = $("labels").value.split(",").map((l) => l.trim()).filter(Boolean);
  try {
    selected = await setLabels(selected.id, labels);
    say("Labels saved.");
    await runSearch();
  } catch (error) {
    failed(error);
  }
});

$("mail-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!selected) return;
  try {
    const sent = await mailLink(selected.id, $("mail-to").value.trim(), Number($("mail-days").value));
    say(`A link was sent to ${sent.to}; it expires ${new Date(sent.expires_at).toLocaleString()}.`);
  } catch (error) {
    failed(error);
  }
});

$("download-opus").addEventListener("click", () => download(false));
$("download-wav").addEventListener("click", () => download(true));
$("logout").addEventListener("click", () => { session.token = null; show("login"); });

if (session.token) {
  show("portal");
  runSearch();
} else {
  show("login");
}
