// The settings tab: the signed-in user's own forwarding, do-not-disturb, call waiting and privacy over REST
// (`/api/v1/me/services`, docs/phone-features.md). A setting the user's profile does not include
// is shown switched off and cannot be changed; the server's refusal is shown as it words it.

import { crmTokenSection } from "./crm_token.js";
import { selectiveSection } from "./selective.js";
import { $, el, replaceChildren } from "./dom.js";
import { toast } from "./feedback.js";
import { myPhoneSection } from "./my_phone.js";
import { restCall, texts } from "./rest.js";

const text = texts({
  nl: {
    tab: "Doorschakelen",
    forward_always: "Alle gesprekken doorschakelen naar",
    forward_busy: "Bij bezet doorschakelen naar",
    forward_no_answer: "Bij geen antwoord doorschakelen naar",
    no_answer_seconds: "Na (seconden)",
    forward_not_reachable: "Bij onbereikbaar doorschakelen naar",
    do_not_disturb: "Niet storen",
    call_waiting: "Wisselgesprek (een tweede gesprek laten overgaan)",
    privacy: "Privacy (collega's zien mij niet in de telefoonlijst of op hun BLF-toetsen)",
    save: "Opslaan",
    saved: "Instellingen opgeslagen",
    notIncluded: "Niet in uw profiel ({profile})",
    failed: "Niet opgeslagen: {reason}",
  },
  en: {
    tab: "Forwarding",
    forward_always: "Forward all calls to",
    forward_busy: "When busy, forward to",
    forward_no_answer: "When not answered, forward to",
    no_answer_seconds: "After (seconds)",
    forward_not_reachable: "When not reachable, forward to",
    do_not_disturb: "Do not disturb",
    call_waiting: "Call waiting (a second call rings during a call)",
    privacy: "Privacy (colleagues do not see me in the directory or on their BLF keys)",
    save: "Save",
    saved: "Settings saved",
    notIncluded: "Not in your profile ({profile})",
    failed: "Not saved: {reason}",
  },
});
const FORWARDS = ["forward_always", "forward_busy", "forward_no_answer", "forward_not_reachable"];
const SWITCHES = ["do_not_disturb", "call_waiting", "privacy"];

function request(method, body) {
  return restCall(method, "/api/v1/me/services", body);
}

function field(name, services, included) {
  const allowed = included.includes(name);
  const note = allowed ? null : el("small", { class: "muted" }, text("notIncluded", { profile: services.profile }));
  const toggle = SWITCHES.includes(name);
  const input = toggle
    ? el("input", { type: "checkbox", id: `svc-${name}`, name })
    : el("input", { type: "text", id: `svc-${name}`, name, inputmode: "tel", maxlength: "16", autocomplete: "off" });
  if (toggle) input.checked = Boolean(services[name]);
  else input.value = services[name] ?? "";
  input.disabled = !allowed;
  return el("p", {}, el("label", { for: `svc-${name}` }, text(name)), " ", input, note ? " " : "", note || "");
}

function render(services) {
  const included = services.included;
  const seconds = el("input", {
    type: "number", id: "svc-no_answer_seconds", name: "no_answer_seconds", min: "5", max: "120",
  });
  seconds.value = String(services.no_answer_seconds);
  seconds.disabled = !included.includes("forward_no_answer");
  const form = el(
    "form",
    { id: "services-form", class: "contact-form", novalidate: "" },
    ...FORWARDS.map((name) => field(name, services, included)),
    el("p", {}, el("label", { for: "svc-no_answer_seconds" }, text("no_answer_seconds")), " ", seconds),
    ...SWITCHES.map((name) => field(name, services, included)),
    el("button", { type: "submit", class: "btn" }, text("save")),
  );
  form.addEventListener("submit", (event) => save(event, services));
  replaceChildren($("panel-services"), form, selectiveSection(), myPhoneSection(), crmTokenSection());
}

async function save(event, before) {
  event.preventDefault();
  const patch = {};
  for (const name of FORWARDS) {
    const input = $(`svc-${name}`);
    const value = input.value.replace(/[\s().-]/g, "") || null;
    if (!input.disabled && value !== before[name]) patch[name] = value;
  }
  const seconds = $("svc-no_answer_seconds");
  if (!seconds.disabled && Number(seconds.value) !== before.no_answer_seconds) {
    patch.no_answer_seconds = Number(seconds.value);
  }
  for (const name of SWITCHES) {
    const box = $(`svc-${name}`);
    if (!box.disabled && box.checked !== before[name]) patch[name] = box.checked;
  }
  try {
    render(await request("PATCH", patch));
    toast(text("saved"), "info");
  } catch (error) {
    toast(text("failed", { reason: error.message }), "error");
  }
}

async function load() {
  try {
    render(await request("GET"));
  } catch (error) {
    replaceChildren($("panel-services"), el("p", { class: "muted" }, error.message));
  }
}

/** The tab's label, and its content read again each time the tab is opened. */
export function setupServices() {
  const tab = $("tab-services");
  tab.textContent = text("tab");
  tab.addEventListener("click", load);
}
