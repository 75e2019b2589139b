// Dialling from the dial box and the call buttons of the side panels, and what counts as a number.
// With the browser phone registered the browser calls the number itself, like a desk phone
// (docs/webrtc.md, "Who dials"); otherwise click-to-dial: the PBX rings the desk phone, then the
// number.

import { M_DIAL, api } from "./api.js";
import { $ } from "./dom.js";
import { act, actionButton, toast } from "./feedback.js";
import { t } from "./i18n.js";
import { placeCall } from "./softphone.js";

// The API's own check of a destination (cti/graphql_api/calls/mutations.py): checked here too so
// a typo is explained before anything is sent.
const NUMBER = /^\+?[0-9*#]{2,20}$/;

/** A number as typed ("+31 (20) 123-45.67") as the API takes it ("+31201234567"). */
export function normalizeNumber(value) {
  return String(value || "").replace(/[\s().-]/g, "");
}

export function isDialable(number) {
  return NUMBER.test(number);
}

async function dial(destination) {
  const number = normalizeNumber(destination);
  if (!isDialable(number)) {
    toast(t("dial.invalid"), "error");
    return false;
  }
  const browser = placeCall(number); // the softphone panel shows the call
  if (browser) return browser === "placed";
  const ok = await act("dial", `dial-${number}`, () => api(M_DIAL, { destination: number }));
  if (ok) toast(t("dial.started", { number }), "info");
  return Boolean(ok);
}

/** A small "Call" button for a row of a side panel. */
export function dialButton(number, label) {
  return actionButton(t("dial.call"), `dial-${normalizeNumber(number)}`, () => dial(number), {
    class: "btn-small btn-dial",
    key: `dialbtn-${number}`,
    attrs: { "aria-label": label, title: label },
  });
}

export async function onDialSubmit(event) {
  event.preventDefault();
  if (await dial($("dial-input").value)) $("dial-input").value = "";
}
