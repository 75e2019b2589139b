// The contacts tab: my personal contacts and the company directory, kept on the server
// (REST /api/v1/contacts, docs/contacts.md) and searched there, each with a call button per
// number; then the queues of my call centers. Contacts an older version kept in this browser's
// localStorage are moved to my personal contacts once, on the first load that can store them.
// Read when the desk starts, when the tab is opened, on each search and after each change.

import { dialButton, isDialable, normalizeNumber } from "./dialer.js";
import { $, el, listRow, replaceChildren } from "./dom.js";
import { renderPending, toast } from "./feedback.js";
import { t } from "./i18n.js";
import { sessionEnded } from "./session.js";
import { S } from "./state.js";

const LEGACY_KEY = "opencc.agent.contacts";
const PAGE = 50;
const SEARCH_DELAY_MS = 250;

let found = { total: 0, items: [], username: "" }; // whose: a later sign-in never sees them
let failed = false;
let query = "";
let searchTimer = null;
let migration = null; // the one move of the localStorage contacts (desk start and tab click race)

function contactsUrl(suffix = "") {
  // Beside the token endpoint the page was configured with: /api/v1/auth/token -> /api/v1/contacts
  const base = S.config.tokenPath.replace(/auth\/token$/, "contacts");
  return new URL(base + suffix, window.location.href).href;
}

async function request(method, suffix, body) {
  const response = await fetch(contactsUrl(suffix), {
    method,
    headers: { Authorization: `Bearer ${S.token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (response.status === 401) sessionEnded();
  if (!response.ok) throw new Error(`contacts ${method} ${response.status}`);
  return response;
}

function legacyContacts() {
  try {
    const list = JSON.parse(window.localStorage.getItem(LEGACY_KEY) || "[]");
    return Array.isArray(list) ? list.filter((c) => c && typeof c.number === "string") : [];
  } catch (_) {
    return [];
  }
}

/** Store this browser's old contacts as personal ones; those the server refuses stay behind. */
async function migrateLegacy() {
  const legacy = legacyContacts();
  if (!legacy.length) return;
  const kept = [];
  for (const c of legacy) {
    try {
      await request("POST", "", { name: c.name || c.number, numbers: [c.number] });
    } catch (_) {
      kept.push(c);
    }
  }
  try {
    if (kept.length) window.localStorage.setItem(LEGACY_KEY, JSON.stringify(kept));
    else window.localStorage.removeItem(LEGACY_KEY);
  } catch (_) {
    /* storage blocked: the next load tries again */
  }
}

export async function refreshContacts() {
  if (!S.token) return;
  try {
    migration = migration || migrateLegacy();
    await migration;
    const params = new URLSearchParams({ q: query, limit: String(PAGE) });
    found = { ...(await (await request("GET", `?${params}`)).json()), username: S.username };
    failed = false;
  } catch (_) {
    failed = !!S.token;
  }
  renderContacts();
}

function contactRow(c) {
  const numbers = c.numbers.slice(0, 3);
  const sub = [c.company, numbers.join(", "), c.scope === "company" ? t("contacts.directory") : ""]
    .filter(Boolean)
    .join(" · ");
  const remove =
    c.scope === "personal"
      ? el(
          "button",
          {
            type: "button",
            class: "btn btn-small btn-ghost-dark",
            "aria-label": t("contacts.remove", { name: c.name }),
            dataset: { key: `contact-del-${c.id}` },
            onclick: () => removeContact(c.id),
          },
          "×",
        )
      : null;
  const calls = numbers.map((n) => dialButton(n, t("contacts.call", { name: `${c.name} ${n}` })));
  return listRow({ dataset: { contact: String(c.id), scope: c.scope } }, c.name, sub, ...calls, remove);
}

async function removeContact(id) {
  try {
    await request("DELETE", `/${id}`);
  } catch (_) {
    toast(t("contacts.failed"), "error");
  }
  await refreshContacts();
}

export function renderContacts() {
  if (found.username !== S.username) found = { total: 0, items: [], username: S.username };
  const rows = found.items.map(contactRow);
  const empty = el("li", { class: "empty" }, failed ? t("contacts.failed") : query ? t("contacts.noMatch") : t("contacts.none"));
  const more = found.total > found.items.length ? el("li", { class: "muted" }, t("contacts.more", { count: found.total - found.items.length })) : null;
  const queueRows = [...S.centers.values()].map((cc) =>
    listRow({}, cc.name, t("contacts.queue", { number: cc.number }), dialButton(cc.number, t("contacts.call", { name: cc.name }))),
  );
  replaceChildren($("contacts-list"), rows.length ? rows : empty, more, queueRows);
  renderPending();
}

export async function onContactSubmit(event) {
  event.preventDefault();
  const name = $("contact-name").value.trim();
  const number = normalizeNumber($("contact-number").value);
  if (!isDialable(number)) {
    toast(t("dial.invalid"), "error");
    return;
  }
  try {
    await request("POST", "", { name: name || number, numbers: [number] });
  } catch (_) {
    toast(t("contacts.refused"), "error");
    return;
  }
  $("contact-name").value = "";
  $("contact-number").value = "";
  await refreshContacts();
}

const IMPORT_TYPES = { vcf: "text/vcard", vcard: "text/vcard", csv: "text/csv" };

/** Import a vCard or CSV file into my personal contacts: a dry run first, so a file with a bad
 * row is explained (row, field, reason) and nothing is stored; then the import itself. */
async function importFile(file) {
  const type = IMPORT_TYPES[String(file.name).split(".").pop().toLowerCase()];
  if (!type) {
    toast(t("contacts.importType"), "error");
    return;
  }
  const send = (dryRun) =>
    fetch(contactsUrl(`/import?scope=personal&dry_run=${dryRun}`), {
      method: "POST",
      headers: { Authorization: `Bearer ${S.token}`, "Content-Type": type },
      body: file,
    });
  try {
    const dry = await send(true);
    if (dry.status === 401) sessionEnded();
    if (!dry.ok) throw new Error(`import ${dry.status}`);
    const report = await dry.json();
    if (report.errors.length) {
      const rows = report.errors.slice(0, 3).map((e) => t("contacts.importRow", e));
      toast(t("contacts.importBad", { count: report.errors.length, rows: rows.join("; ") }), "error");
      return;
    }
    const done = await send(false);
    if (!done.ok) throw new Error(`import ${done.status}`);
    toast(t("contacts.imported", { count: (await done.json()).imported }), "info");
  } catch (_) {
    toast(t("contacts.importFailed"), "error");
  }
  await refreshContacts();
}

export function wireContactsTab() {
  $("contacts-import").addEventListener("change", (event) => {
    const [file] = event.target.files || [];
    event.target.value = "";
    if (file) importFile(file);
  });
  $("contact-form").addEventListener("submit", onContactSubmit);
  $("tab-contacts").addEventListener("click", () => refreshContacts());
  $("contacts-search").addEventListener("input", (event) => {
    query = event.target.value.trim();
    clearTimeout(searchTimer);
    searchTimer = setTimeout(refreshContacts, SEARCH_DELAY_MS);
  });
}
