// The company directory (docs/contacts.md): search it a page at a time, add, edit and delete
// contacts, import a vCard or CSV file after a dry run that names every bad row. Only the
// API decides who may write: anyone else's attempt shows its refusal.

import { request } from "./api.js";
import { ask, openDialog } from "./dialogs.js";
import { el, field, formValues, replace, table } from "./dom.js";
import { attempt, done, failed, messageBox } from "./feedback.js";
import { t } from "./i18n.js";

const PAGE_SIZE = 50;
const CONTACTS = "/api/v1/contacts";

export async function render(container) {
  const box = messageBox();
  const list = el("div", { id: "directory-list" });
  const view = { query: "", offset: 0, box, list };
  const search = el("form", { id: "directory-search", class: "inline", role: "search" },
    field(t("search"), el("input", { name: "q", type: "search", placeholder: t("searchHint"), maxlength: 100 })),
    el("button", { type: "submit" }, t("search")));
  search.addEventListener("submit", (event) => {
    event.preventDefault();
    view.query = search.elements.q.value.trim();
    view.offset = 0;
    draw(view);
  });
  container.append(
    el("h2", {}, t("navDirectory")),
    el("p", { class: "help" }, t("directoryHelp")),
    search,
    el("button", { type: "button", id: "add-contact", class: "primary", onclick: () => edit(null, view) }, t("addContact")),
    box,
    list,
    importSection(view),
  );
  await draw(view);
}

async function draw(view) {
  const params = new URLSearchParams({ scope: "company", q: view.query, limit: PAGE_SIZE, offset: view.offset });
  let page;
  if (!(await attempt(view.box, async () => { page = await request("GET", `${CONTACTS}?${params}`); }))) return;
  const rows = page.items.map((c) => el("tr", { dataset: { contactId: c.id } },
    el("td", { class: "name" }, c.name),
    el("td", {}, c.company),
    el("td", { class: "numbers" }, c.numbers.join(", ")),
    el("td", {}, c.email),
    el("td", {}, c.note),
    el("td", { class: "actions" },
      el("button", { type: "button", class: "edit", onclick: () => edit(c, view) }, t("edit")),
      el("button", { type: "button", class: "delete danger", onclick: () => remove(c, view) }, t("delete")))));
  const last = view.offset + page.items.length;
  const move = (offset) => { view.offset = offset; draw(view); };
  replace(view.list,
    page.total
      ? table([t("name"), t("company"), t("numbers"), t("email"), t("note"), ""], rows, { id: "directory-table" })
      : el("p", { class: "empty" }, t("directoryEmpty")),
    el("div", { class: "pager" },
      el("button", { type: "button", disabled: view.offset === 0, onclick: () => move(Math.max(0, view.offset - PAGE_SIZE)) }, t("previous")),
      el("span", { id: "directory-position" }, t("pageOf", { from: page.total ? view.offset + 1 : 0, to: last, total: page.total })),
      el("button", { type: "button", disabled: last >= page.total, onclick: () => move(view.offset + PAGE_SIZE) }, t("next"))));
}

function contactForm(contact) {
  const input = (name, attrs = {}) => el("input", { name, value: contact?.[name] ?? "", ...attrs });
  return el("form", { id: "contact-form", method: "dialog" },
    field(t("name"), input("name", { required: true, maxlength: 200 })),
    field(t("company"), input("company", { maxlength: 200 })),
    field(`${t("numbers")} (${t("numbersHint")})`, el("input", { name: "numbers", required: true, value: contact ? contact.numbers.join(", ") : "" })),
    field(t("email"), input("email", { type: "email", maxlength: 254 })),
    field(t("note"), el("textarea", { name: "note", maxlength: 2000, rows: 3 }, contact?.note ?? "")));
}

function bodyOf(form) {
  const v = formValues(form);
  const numbers = (v.numbers ?? "").split(",").map((n) => n.trim()).filter(Boolean);
  return { name: v.name ?? "", numbers, company: v.company ?? "", email: v.email ?? "", note: v.note ?? "" };
}

function edit(contact, view) {
  const form = contactForm(contact);
  const dialogBox = messageBox();
  form.append(dialogBox, el("div", { class: "buttons" },
    el("button", { type: "submit", class: "primary", id: "contact-save" }, t("save")),
    el("button", { type: "button", onclick: () => dialog.close() }, t("cancel"))));
  const dialog = openDialog(contact ? t("editContact", { name: contact.name }) : t("addContact"), form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = bodyOf(form);
    const saved = await attempt(dialogBox, () => contact
      ? request("PUT", `${CONTACTS}/${contact.id}`, { json: body })
      : request("POST", CONTACTS, { json: { ...body, scope: "company" } }), form);
    if (saved) {
      dialog.close();
      done(view.box, t("saved"));
      await draw(view);
    }
  });
}

async function remove(contact, view) {
  if (!(await ask(t("confirmDelete", { name: contact.name })))) return;
  if (await attempt(view.box, () => request("DELETE", `${CONTACTS}/${contact.id}`))) {
    done(view.box, t("deleted"));
    await draw(view);
  }
}

/** The file's media type for the API: a vCard by its name or type, else CSV. */
function mediaType(file) {
  return /\.(vcf|vcard)$/i.test(file.name) || /vcard/i.test(file.type) ? "text/vcard" : "text/csv";
}

function importSection(view) {
  const file = el("input", { type: "file", id: "contacts-file", accept: ".vcf,.vcard,.csv,text/vcard,text/csv" });
  const box = messageBox();
  const report = el("div", { id: "contacts-report" });
  const check = el("button", { type: "button", id: "contacts-check" }, t("dryRun"));
  const store = el("button", { type: "button", id: "contacts-import", class: "primary", disabled: true }, t("importNow"));
  let cleanFile = null;  // Import stays off until this very file passed a dry run

  async function upload(dryRun) {
    const chosen = file.files[0];
    if (!chosen) return;
    replace(report);
    store.disabled = true;
    let answer;
    const path = `${CONTACTS}/import?scope=company&dry_run=${dryRun}`;
    const sent = await attempt(box, async () => { answer = await request("POST", path, { body: chosen, type: mediaType(chosen) }); });
    if (!sent) return;
    if (answer.errors.length) {
      badRows(report, answer.errors);
      failed(box, t("contactsBad", { count: answer.errors.length }));
      return;
    }
    done(box, dryRun ? t("contactsOk", { valid: answer.valid }) : t("contactsImported", { imported: answer.imported }));
    if (answer.ignored_columns.length) report.append(el("p", { class: "help" }, t("ignoredColumns", { columns: answer.ignored_columns.join(", ") })));
    cleanFile = dryRun ? chosen : null;
    store.disabled = !dryRun;
    if (!dryRun) await draw(view);
  }

  file.addEventListener("change", () => { cleanFile = null; store.disabled = true; });
  check.addEventListener("click", () => upload(true));
  store.addEventListener("click", () => file.files[0] === cleanFile && upload(false));
  return el("section", { id: "contacts-import-section" },
    el("h3", {}, t("importContacts")),
    el("p", { class: "help" }, t("contactsHelp")),
    field(t("contactsFile"), file),
    el("div", { class: "buttons" }, check, store),
    box,
    report);
}

function badRows(report, errors) {
  replace(report, table([t("row"), t("field"), t("reason")],
    errors.map((e) => el("tr", { class: "bad-row" }, el("td", {}, e.row), el("td", {}, e.field), el("td", {}, e.reason))),
    { id: "contacts-errors" }));
}
