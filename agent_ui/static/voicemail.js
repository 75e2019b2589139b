// The voicemail tab: my messages newest first (REST /api/v1/voicemail), play one (the audio is
// fetched with the token and played from a blob), mark it read or unread, delete it. Playing a
// message marks it read, as the phones' voice portal does; the phones' MWI lamp follows.
// Read again when the tab is opened and after each change: there is no polling.

import { $, el, formatDuration, listRow, replaceChildren } from "./dom.js";
import { language } from "./i18n.js";
import { sessionEnded } from "./session.js";
import { S } from "./state.js";

const TEXTS = {
  en: {
    none: "No voicemail.",
    play: "Play",
    read: "Mark read",
    unread: "Mark unread",
    delete: "Delete",
    new: "new",
    failed: "Could not reach voicemail.",
    refresh: "Refresh",
    from: "Voicemail from {caller}",
    settings: "Voicemail settings",
    pin: "Voice portal PIN (*62), 4-8 digits",
    savePin: "Save PIN",
    email: "Mail new messages to",
    saveEmail: "Save address",
    saved: "Saved.",
    refused: "Not saved: check the value.",
  },
  nl: {
    none: "Geen voicemail.",
    play: "Afspelen",
    read: "Markeer gelezen",
    unread: "Markeer ongelezen",
    delete: "Verwijderen",
    new: "nieuw",
    failed: "Voicemail is niet bereikbaar.",
    refresh: "Vernieuwen",
    from: "Voicemail van {caller}",
    settings: "Voicemail-instellingen",
    pin: "Pincode voicemail (*62), 4-8 cijfers",
    savePin: "Pincode opslaan",
    email: "Nieuwe berichten mailen naar",
    saveEmail: "Adres opslaan",
    saved: "Opgeslagen.",
    refused: "Niet opgeslagen: controleer de waarde.",
  },
};

let messages = [];
let failed = false;
let player = null; // { id, url } of the message in the player
let notice = ""; // the settings form's last outcome

function tr(key, vars = {}) {
  const text = (TEXTS[language()] || TEXTS.en)[key];
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

function voicemailUrl(suffix = "") {
  // Beside the token endpoint the page was configured with: /api/v1/auth/token -> /api/v1/voicemail
  const base = S.config.tokenPath.replace(/auth\/token$/, "voicemail");
  return new URL(base + suffix, window.location.href).href;
}

async function request(method, suffix, body) {
  const response = await fetch(voicemailUrl(suffix), {
    method,
    headers: { Authorization: `Bearer ${S.token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (response.status === 401) sessionEnded();
  if (!response.ok) throw new Error(`voicemail ${method} ${response.status}`);
  return response;
}

export async function refreshVoicemail() {
  try {
    messages = await (await request("GET", "")).json();
    failed = false;
  } catch (_) {
    failed = !!S.token;
  }
  renderVoicemail();
}

async function act(work) {
  try {
    await work();
  } catch (_) {
    failed = !!S.token;
  }
  await refreshVoicemail();
}

async function play(message) {
  const audio = await (await request("GET", `/${message.id}/audio`)).blob();
  if (player) URL.revokeObjectURL(player.url);
  player = { id: message.id, url: URL.createObjectURL(audio) };
  if (!message.read) await request("PATCH", `/${message.id}`, { read: true });
}

function messageRow(m) {
  const when = new Date(m.received_at).toLocaleString(language() === "nl" ? "nl-NL" : "en-GB", { dateStyle: "short", timeStyle: "short" });
  const sub = [m.read ? null : tr("new"), when, formatDuration(m.duration_seconds)].filter(Boolean).join(" · ");
  const buttons = [
    el("button", { type: "button", class: "small", onclick: () => act(() => play(m)) }, tr("play")),
    el("button", { type: "button", class: "small", onclick: () => act(() => request("PATCH", `/${m.id}`, { read: !m.read })) }, tr(m.read ? "unread" : "read")),
    el("button", { type: "button", class: "small", onclick: () => act(() => request("DELETE", `/${m.id}`)) }, tr("delete")),
  ];
  const row = listRow({ dataset: { voicemailId: m.id, read: m.read ? "yes" : "no" } }, m.caller, sub, ...buttons);
  if (player && player.id === m.id) {
    row.append(el("audio", { controls: true, autoplay: true, src: player.url, "aria-label": tr("from", { caller: m.caller }) }));
  }
  return row;
}

async function saveSetting(event, suffix, body) {
  event.preventDefault();
  try {
    await request("PUT", suffix, body);
    notice = tr("saved");
  } catch (_) {
    notice = tr("refused");
  }
  renderVoicemail();
}

function settingsForm() {
  const pin = el("input", { id: "voicemail-pin", type: "password", inputmode: "numeric", autocomplete: "off", pattern: "[0-9]{4,8}", required: true });
  const email = el("input", { id: "voicemail-email", type: "email", autocomplete: "email" });
  return el(
    "details",
    { class: "voicemail-settings" },
    el("summary", {}, tr("settings")),
    el(
      "form",
      { id: "voicemail-pin-form", onsubmit: (event) => saveSetting(event, "/pin", { pin: pin.value }) },
      el("label", { for: "voicemail-pin" }, tr("pin")),
      pin,
      el("button", { type: "submit", class: "small" }, tr("savePin")),
    ),
    el(
      "form",
      { id: "voicemail-email-form", onsubmit: (event) => saveSetting(event, "/email", { address: email.value.trim() || null }) },
      el("label", { for: "voicemail-email" }, tr("email")),
      email,
      el("button", { type: "submit", class: "small" }, tr("saveEmail")),
    ),
    notice ? el("p", { class: "muted", role: "status", id: "voicemail-notice" }, notice) : null,
  );
}

export function renderVoicemail() {
  const panel = $("panel-voicemail");
  if (!panel) return;
  const rows = messages.map(messageRow);
  replaceChildren(
    panel,
    failed ? el("p", { class: "empty", role: "status" }, tr("failed")) : null,
    rows.length ? el("ul", { class: "rows" }, rows) : el("p", { class: "empty" }, tr("none")),
    el("button", { type: "button", class: "small", onclick: () => refreshVoicemail() }, tr("refresh")),
    settingsForm(),
  );
  const tab = $("tab-voicemail");
  if (tab) tab.dataset.unread = String(messages.filter((m) => !m.read).length);
}

export function wireVoicemailTab() {
  const tab = $("tab-voicemail");
  if (tab) tab.addEventListener("click", () => refreshVoicemail());
}
