// The receptionist's call history (the calls that rang their phone, newest first) with a note per call, kept
// on the server per company: written here, seen by the company's other receptionists on the
// same call.

import * as api from "./api.js";
import { language, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let ui = null; // { el, say }

export function setupHistory(helpers) {
  ui = helpers;
  $("history-refresh").addEventListener("click", loadHistory);
}

function when(seconds) {
  return new Date(seconds * 1000).toLocaleString(language() === "nl" ? "nl-NL" : "en-GB");
}

async function saveNote(callId, input) {
  try {
    await api.writeNote(callId, input.value);
    ui.say(t("noteSaved"));
  } catch (error) {
    ui.say(error.message, true);
  }
}

function entryNode(call) {
  const { el } = ui;
  const input = el("input", {
    class: "note", maxlength: "2000", "aria-label": t("note"), placeholder: t("note"),
  });
  input.value = call.note;
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") saveNote(call.callId, input);
  });
  return el("li", { class: "call", "data-call-id": call.callId },
    el("span", { class: "when" }, when(call.at)),
    el("strong", {}, call.callerName ? `${call.callerName} (${call.caller})` : call.caller),
    input,
    el("button", { type: "button", class: "save", onclick: () => saveNote(call.callId, input) },
      t("saveNote")),
    call.noteBy ? el("span", { class: "by" }, call.noteBy) : "");
}

export async function loadHistory() {
  try {
    const { calls } = await api.callHistory();
    $("history").replaceChildren(...calls.map(entryNode));
  } catch (error) {
    ui.say(error.message, true);
  }
}
