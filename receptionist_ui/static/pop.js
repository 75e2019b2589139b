// The screen pop: as a call rings the receptionist's phone, the caller's CRM or contact record
// (`GET /api/v1/screen-pop`, the agent client's look-up: the company's CRM, the company
// directory and the receptionist's own contacts), shown with the agent client's card until the
// next call.

import { screenPopCard } from "/agent/screenpop.js";
import { setLanguage as setCardLanguage } from "/agent/i18n.js";
import * as api from "./api.js";
import { language } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let popped = ""; // the caller whose card is shown (one look-up per call)

export async function popFor(own) {
  const caller = own.remote;
  if (own.state !== "ringing" || !caller || caller === popped) return;
  popped = caller;
  let records = [];
  try {
    ({ records } = await api.screenPop(caller));
  } catch {
    return; // a number the look-up refuses (a hidden caller): no card
  }
  setCardLanguage(language());
  $("pop").replaceChildren(screenPopCard(records));
  $("pop").dataset.caller = caller;
  $("pop").hidden = false;
}

export function popEnded(own) {
  if (own.state === "idle") popped = ""; // the same caller calling again pops again
}
