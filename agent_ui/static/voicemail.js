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
  },
};

let messages = [];
let failed = false;
let player = null; // { id, url } of the message in the player

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

export function renderVoicemail() {
  const panel = $("panel-voicemail");
  if (!panel) return;
  const rows = messages.map(messageRow);
  replaceChildren(
    panel,
    failed ? el("p", { class: "empty", role: "status" }, tr("failed")) : null,
    rows.length ? el("ul", { class: "rows" }, rows) : el("p", { class: "empty" }, tr("none")),
    el("button", { type: "button", class: "small", onclick: () => refreshVoicemail() }, tr("refresh")),
  );
  const tab = $("tab-voicemail");
  if (tab) tab.dataset.unread = String(messages.filter((m) => !m.read).length);
}

export function wireVoicemailTab() {
  const tab = $("tab-voicemail");
  if (tab) tab.addEventListener("click", () => refreshVoicemail());
}
