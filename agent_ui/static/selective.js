// The forwarding tab's "Selective services" section: the user's own rules of selective call
// forwarding, rejection, acceptance and CallNotify, read from `/api/v1/me/services/selective`
// and changed there (docs/phone-features.md, "Selective services"): a rule is added or removed,
// the forwarding's default number and the notify address set, and each change is one PUT of
// that service's whole settings; a refusal is shown as the server words it, naming the field.

import { el, replaceChildren } from "./dom.js";
import { toast } from "./feedback.js";
import { restCall, texts } from "./rest.js";

const text = texts({
  nl: {
    title: "Selectieve diensten",
    forwarding: "Selectief doorschakelen",
    rejection: "Selectief weigeren",
    acceptance: "Selectief aannemen",
    notify: "Oproepmelding per e-mail",
    none: "geen regels",
    anyone: "iedereen",
    private: "anonieme bellers",
    unavailable: "bellers zonder nummer",
    to: "naar {number}",
    mailTo: "mail naar {address}",
    inactive: "(uit)",
    notIncluded: "niet in uw profiel",
    remove: "Verwijderen",
    add: "Regel toevoegen",
    ruleName: "Naam",
    numbers: "Nummers van bellers",
    forwardTo: "Doorschakelen naar",
    defaultNumber: "Standaard doorschakelnummer",
    address: "E-mailadres",
    save: "Opslaan",
    saved: "Opgeslagen",
    failed: "Niet opgeslagen: {reason}",
  },
  en: {
    title: "Selective services",
    forwarding: "Selective call forwarding",
    rejection: "Selective call rejection",
    acceptance: "Selective call acceptance",
    notify: "Call notify by e-mail",
    none: "no rules",
    anyone: "anyone",
    private: "private callers",
    unavailable: "callers without a number",
    to: "to {number}",
    mailTo: "mail to {address}",
    inactive: "(off)",
    notIncluded: "not in your profile",
    remove: "Remove",
    add: "Add rule",
    ruleName: "Name",
    numbers: "Callers' numbers",
    forwardTo: "Forward to",
    defaultNumber: "Default forward number",
    address: "E-mail address",
    save: "Save",
    saved: "Saved",
    failed: "Not saved: {reason}",
  },
});

function callers(rule) {
  const who = [...rule.numbers];
  if (rule.any_private) who.push(text("private"));
  if (rule.any_unavailable) who.push(text("unavailable"));
  return who.length ? who.join(", ") : text("anyone");
}

const URL_PATH = "/api/v1/me/services/selective";

/** The service's settings as its PUT takes them, with `rules` replaced. */
function settings(service, rules) {
  const body = { rules };
  if (service.kind === "forwarding") body.default_number = service.default_number ?? null;
  if (service.kind === "notify") body.address = service.address ?? null;
  return body;
}

function withoutEmpty(rule) {
  const kept = {};
  for (const [name, value] of Object.entries(rule)) if (value !== null && value !== undefined) kept[name] = value;
  return kept;
}

async function put(section, service, body) {
  try {
    await restCall("PUT", `${URL_PATH}/${service.kind}`, body);
    toast(text("saved"), "info");
    await fill(section);
  } catch (error) {
    toast(text("failed", { reason: error.message }), "error");
  }
}

function input(id, label, attrs = {}) {
  return el("label", { for: id }, label, " ", el("input", { id, type: "text", autocomplete: "off", ...attrs }));
}

function addForm(section, service) {
  const id = (name) => `sel-${service.kind}-${name}`;
  const form = el(
    "form",
    { id: id("add"), class: "contact-form", novalidate: "" },
    input(id("name"), text("ruleName"), { maxlength: "40" }),
    " ",
    input(id("numbers"), text("numbers"), { inputmode: "tel" }),
    " ",
    el("label", {}, el("input", { type: "checkbox", id: id("private") }), " ", text("private")),
    " ",
    el("label", {}, el("input", { type: "checkbox", id: id("unavailable") }), " ", text("unavailable")),
    service.kind === "forwarding" ? [" ", input(id("to"), text("forwardTo"), { inputmode: "tel" })] : null,
    " ",
    el("button", { type: "submit", class: "btn" }, text("add")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = (name) => document.getElementById(id(name))?.value.trim() ?? "";
    const rule = withoutEmpty({
      name: value("name"),
      numbers: value("numbers").split(/[\s,;]+/).filter(Boolean),
      any_private: document.getElementById(id("private")).checked,
      any_unavailable: document.getElementById(id("unavailable")).checked,
      forward_to: value("to") || null,
    });
    put(section, service, settings(service, [...service.rules.map(withoutEmpty), rule]));
  });
  return form;
}

function serviceSettings(section, service) {
  const name = service.kind === "forwarding" ? "default_number" : service.kind === "notify" ? "address" : null;
  if (name === null) return null;
  const id = `sel-${service.kind}-${name}`;
  const form = el(
    "form",
    { id: `sel-${service.kind}-settings`, class: "contact-form", novalidate: "" },
    input(id, text(name === "address" ? "address" : "defaultNumber"), name === "address" ? { type: "email" } : { inputmode: "tel" }),
    " ",
    el("button", { type: "submit", class: "btn" }, text("save")),
  );
  form.querySelector("input").value = service[name] ?? "";
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = settings(service, service.rules.map(withoutEmpty));
    body[name] = form.querySelector("input").value.trim() || null;
    put(section, service, body);
  });
  return form;
}

function ruleItem(rule, service) {
  const parts = [`${rule.name}: ${callers(rule)}`];
  if (rule.schedule) parts.push(`[${rule.schedule}]`);
  if (rule.holidays) parts.push(`[${rule.holidays}]`);
  const destination = rule.forward_to || service.default_number;
  if (service.kind === "forwarding" && destination) parts.push(text("to", { number: destination }));
  if (!rule.active) parts.push(text("inactive"));
  return el("li", { dataset: { rule: rule.name } }, el("span", { class: "rule" }, parts.join(" ")));
}

function editableRule(section, rule, service) {
  const item = ruleItem(rule, service);
  const remove = el("button", { type: "button", class: "btn", dataset: { remove: rule.name } }, text("remove"));
  remove.addEventListener("click", () => {
    const rules = service.rules.filter((other) => other.name !== rule.name).map(withoutEmpty);
    put(section, service, settings(service, rules));
  });
  item.append(" ", remove);
  return item;
}

function serviceBlock(section, service) {
  const heading = [text(service.kind)];
  if (!service.included) heading.push(`(${text("notIncluded")})`);
  if (service.kind === "notify" && service.address) heading.push(`- ${text("mailTo", { address: service.address })}`);
  // Without the feature the rules are shown (an admin may have set them) but not changed here.
  const item = (rule) => (service.included ? editableRule(section, rule, service) : ruleItem(rule, service));
  const rules = service.rules.length
    ? el("ul", {}, ...service.rules.map(item))
    : el("p", { class: "muted" }, text("none"));
  const editing = service.included ? [serviceSettings(section, service), addForm(section, service)] : [];
  return el("div", { id: `selective-${service.kind}` }, el("h4", {}, heading.join(" ")), rules, ...editing);
}

async function fill(section) {
  const answer = await restCall("GET", URL_PATH);
  replaceChildren(section, el("h3", {}, text("title")), ...answer.services.map((service) => serviceBlock(section, service)));
}

/** The section, filled once the rules have been read. */
export function selectiveSection() {
  const section = el("section", { id: "selective-services" });
  fill(section).catch((error) => replaceChildren(section, el("p", { class: "muted" }, error.message)));
  return section;
}
