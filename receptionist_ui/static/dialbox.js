// The console's dial box (docs/receptionist.md): the number typed here is called by the browser
// phone itself when it is registered, else by click-to-dial (the PBX rings the receptionist's
// desk phone, then the number): the agent client's choice, from its module (/agent/dialing.js,
// docs/webrtc.md "Who dials"). Self-contained: app.js imports it once, index.html holds its
// form (#dialbox); `dial(number)` is for the console's other panels.

import { dialNumber } from "/agent/dialing.js";
import { call, consoleState } from "./api.js";
import { language } from "./i18n.js";

const WORDS = {
  nl: {
    label: "Nummer of toestel", call: "Bellen",
    invalid: "Vul een telefoonnummer of toestelnummer in (cijfers, * en #, eventueel + vooraan).",
    dialled: (number) => `${number} wordt gebeld: eerst gaat uw eigen toestel over.`,
  },
  en: {
    label: "Number or extension", call: "Call",
    invalid: "Enter a phone number or an extension (digits, * and #, + in front if need be).",
    dialled: (number) => `Calling ${number}: your own phone rings first.`,
  },
};
const word = (key) => (WORDS[language()] || WORDS.en)[key];

const form = document.getElementById("dialbox");
const label = Object.assign(document.createElement("label"), { htmlFor: "dial-number" });
const input = Object.assign(document.createElement("input"), {
  id: "dial-number", type: "tel", autocomplete: "off", inputMode: "tel",
});
const button = Object.assign(document.createElement("button"), { id: "dial-call", type: "submit" });
const status = Object.assign(document.createElement("p"), { id: "dialbox-status", hidden: true });
status.setAttribute("role", "status");
form.replaceChildren(label, input, button, status);

function render() {
  label.textContent = word("label");
  button.textContent = word("call");
}

function say(text, error) {
  status.textContent = text;
  status.className = error ? "message error" : "message";
  status.hidden = !text;
}

/** Click-to-dial for the receptionist's own extension (`POST /api/v1/calls`). */
async function clickToDial(number) {
  try {
    const { extension } = await consoleState();
    await call("POST", "/api/v1/calls", { extension, destination: number });
  } catch (error) {
    say(error.message, true);
    return false;
  }
  say(word("dialled")(number), false);
  return true;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  say("", false);
  button.disabled = true;
  try {
    const result = await dialNumber(input.value, clickToDial);
    if (result === "invalid") say(word("invalid"), true);
    if (result === "placed" || result === "dialled") input.value = ""; // "placed": the phone panel shows the call
  } finally {
    button.disabled = false;
  }
});
/** Call `number` from elsewhere in the console (a contact's number, contacts.js). */
export function dial(number) {
  input.value = number;
  form.requestSubmit();
}

// The language switch (app.js) sets the page's lang: the box follows.
new MutationObserver(render).observe(document.documentElement, {
  attributes: true, attributeFilter: ["lang"],
});
render();
