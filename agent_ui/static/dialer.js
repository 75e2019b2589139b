// Dialling from the dial box and the call buttons of the side panels. With the browser phone
// registered the browser calls the number itself, like a desk phone (docs/webrtc.md, "Who
// dials"); otherwise click-to-dial: the PBX rings the desk phone, then the number (dialing.js:
// what counts as a number and that choice, shared with the receptionist console).

import { M_DIAL, api } from "./api.js";
import { dialNumber, normalizeNumber } from "./dialing.js";
import { $ } from "./dom.js";
import { act, actionButton, toast } from "./feedback.js";
import { t } from "./i18n.js";

export { isDialable, normalizeNumber } from "./dialing.js";

async function clickToDial(number) {
  const ok = await act("dial", `dial-${number}`, () => api(M_DIAL, { destination: number }));
  if (ok) toast(t("dial.started", { number }), "info");
  return Boolean(ok);
}

async function dial(destination) {
  const result = await dialNumber(destination, clickToDial);
  if (result === "invalid") toast(t("dial.invalid"), "error");
  return result === "placed" || result === "dialled";
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
