// The settings tab's "My phone" section: the user's own speed dial list (SpeedDial8/100),
// intercom (PushToTalk: accept or not, only from listed colleagues, and BargeinExempt) and
// custom ringback (an announcement callers hear instead of ringing), over
// `/api/v1/me/speed-dial`, `/api/v1/me/intercom` and `/api/v1/me/custom-ringback`
// (docs/phone-features.md). What the profile lacks the server refuses, and the refusal is shown.

import { el, replaceChildren } from "./dom.js";
import { toast } from "./feedback.js";
import { restCall, texts } from "./rest.js";

const text = texts({
  nl: {
    title: "Mijn toestel",
    speedDial: "Snelkeuze",
    slot: "Toets",
    number: "Nummer",
    store: "Opslaan",
    clear: "Wissen",
    empty: "geen snelkeuzenummers",
    notIncluded: "niet in uw profiel",
    intercom: "Intercom",
    accept: "Intercomgesprekken aannemen (automatisch opgenomen)",
    allowed: "Alleen van (toestellen)",
    exempt: "Niemand mag inbreken op mijn gesprekken",
    ringback: "Eigen wachttoon",
    announcement: "Aankondiging (leeg: gewoon overgaan)",
    saved: "Opgeslagen",
    failed: "Niet opgeslagen: {reason}",
  },
  en: {
    title: "My phone",
    speedDial: "Speed dial",
    slot: "Key",
    number: "Number",
    store: "Save",
    clear: "Clear",
    empty: "no speed dial numbers",
    notIncluded: "not in your profile",
    intercom: "Intercom",
    accept: "Accept intercom calls (answered automatically)",
    allowed: "Only from (extensions)",
    exempt: "Nobody may barge in on my calls",
    ringback: "Custom ringback",
    announcement: "Announcement (empty: plain ringing)",
    saved: "Saved",
    failed: "Not saved: {reason}",
  },
});

async function saving(section, change) {
  try {
    await change();
    toast(text("saved"), "info");
    await fill(section);
  } catch (error) {
    toast(text("failed", { reason: error.message }), "error");
  }
}

function labelled(id, label, input) {
  input.id = id;
  return el("label", { for: id }, label, " ", input);
}

function speedDialBlock(section, list) {
  const patch = (body) => saving(section, () => restCall("PATCH", "/api/v1/me/speed-dial", body));
  const slots = Object.keys(list.entries).sort();
  const items = slots.map((slot) => {
    const clear = el("button", { type: "button", class: "btn", dataset: { clear: slot } }, text("clear"));
    clear.addEventListener("click", () => patch({ [slot]: null }));
    return el("li", { dataset: { slot } }, el("span", { class: "entry" }, `${slot}: ${list.entries[slot]}`), " ", clear);
  });
  const slot = el("input", { type: "text", inputmode: "numeric", maxlength: "2", size: "3", autocomplete: "off" });
  const number = el("input", { type: "text", inputmode: "tel", maxlength: "16", autocomplete: "off" });
  const form = el(
    "form",
    { id: "speed-dial-form", class: "contact-form", novalidate: "" },
    labelled("speed-dial-slot", text("slot"), slot), " ",
    labelled("speed-dial-number", text("number"), number), " ",
    el("button", { type: "submit", class: "btn" }, text("store")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    patch({ [slot.value.trim()]: number.value.replace(/[\s().-]/g, "") || null });
  });
  const heading = list.included.length ? text("speedDial") : `${text("speedDial")} (${text("notIncluded")})`;
  return el(
    "div", { id: "my-speed-dial" }, el("h4", {}, heading),
    items.length ? el("ul", {}, ...items) : el("p", { class: "muted" }, text("empty")),
    list.included.length ? form : null,
  );
}

function intercomBlock(section, choice) {
  const accept = el("input", { type: "checkbox" });
  accept.checked = choice.accept;
  const allowed = el("input", { type: "text", inputmode: "numeric", autocomplete: "off" });
  allowed.value = choice.allowed.join(", ");
  const exempt = el("input", { type: "checkbox" });
  exempt.checked = choice.barge_in_exempt;
  const form = el(
    "form",
    { id: "intercom-form", class: "contact-form", novalidate: "" },
    el("p", {}, labelled("intercom-accept", text("accept"), accept)),
    el("p", {}, labelled("intercom-allowed", text("allowed"), allowed)),
    el("p", {}, labelled("intercom-exempt", text("exempt"), exempt)),
    el("button", { type: "submit", class: "btn" }, text("store")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {
      accept: accept.checked,
      allowed: allowed.value.split(/[\s,;]+/).filter(Boolean),
      barge_in_exempt: exempt.checked,
    };
    saving(section, () => restCall("PUT", "/api/v1/me/intercom", body));
  });
  return el("div", { id: "my-intercom" }, el("h4", {}, text("intercom")), form);
}

function ringbackBlock(section, ringback) {
  const name = el("input", { type: "text", maxlength: "64", autocomplete: "off" });
  name.value = ringback.announcement ?? "";
  const form = el(
    "form",
    { id: "ringback-form", class: "contact-form", novalidate: "" },
    labelled("ringback-announcement", text("announcement"), name), " ",
    el("button", { type: "submit", class: "btn" }, text("store")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = { announcement: name.value.trim() || null };
    saving(section, () => restCall("PUT", "/api/v1/me/custom-ringback", body));
  });
  return el("div", { id: "my-ringback" }, el("h4", {}, text("ringback")), form);
}

async function fill(section) {
  const [speedDial, intercom, ringback] = await Promise.all([
    restCall("GET", "/api/v1/me/speed-dial"),
    restCall("GET", "/api/v1/me/intercom"),
    restCall("GET", "/api/v1/me/custom-ringback"),
  ]);
  replaceChildren(
    section,
    el("h3", {}, text("title")),
    speedDialBlock(section, speedDial),
    intercomBlock(section, intercom),
    ringbackBlock(section, ringback),
  );
}

/** The section, filled once the settings have been read. */
export function myPhoneSection() {
  const section = el("section", { id: "my-phone" });
  fill(section).catch((error) => replaceChildren(section, el("p", { class: "muted" }, error.message)));
  return section;
}
