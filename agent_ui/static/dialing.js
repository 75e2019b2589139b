// What counts as a number and who dials it (docs/webrtc.md, "Who dials"): the browser phone
// itself when it is registered (`placeCall`), else the page's click-to-dial (the PBX rings the
// desk phone, then the number). Page-agnostic, shared by the agent client's dialer (dialer.js)
// and the receptionist console's dial box (receptionist_ui/static/dialbox.js).

import { placeCall } from "./softphone.js";

// The API's own check of a destination (cti/graphql_api/calls/mutations.py, cti/rest/calls.py):
// checked here too so a typo is explained before anything is sent.
const NUMBER = /^\+?[0-9*#]{2,20}$/;

/** A number as typed ("+31 (20) 123-45.67") as the API takes it ("+31201234567"). */
export function normalizeNumber(value) {
  return String(value || "").replace(/[\s().-]/g, "");
}

export function isDialable(number) {
  return NUMBER.test(number);
}

/**
 * Dials `destination`: "invalid" (not a number: nothing sent), "placed" (the browser calls),
 * "busy" (the browser is in a call; the softphone said so), else what `clickToDial(number)`
 * resolves: "dialled" when it was accepted, "failed" otherwise (the page told why).
 */
export async function dialNumber(destination, clickToDial) {
  const number = normalizeNumber(destination);
  if (!isDialable(number)) return "invalid";
  const browser = placeCall(number); // the softphone panel shows the call
  if (browser) return browser;
  return (await clickToDial(number)) ? "dialled" : "failed";
}
