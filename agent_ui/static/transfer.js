// The transfer dialog: to a colleague, a queue (one click) or a typed number.

import { M_TRANSFER, api } from "./api.js";
import { colleagueList } from "./colleagues.js";
import { isDialable, normalizeNumber } from "./dialer.js";
import { $, el, replaceChildren } from "./dom.js";
import { act, toast } from "./feedback.js";
import { t } from "./i18n.js";
import { S } from "./state.js";

let transferCallId = null;

/** A heading and its one-click choices; nothing when there is none. */
function choiceGroup(heading, chips) {
  return chips.length ? [el("h3", {}, heading), el("div", { class: "chip-row" }, chips)] : [];
}

export function openTransfer(call) {
  if (!call) return;
  transferCallId = call.callId;
  $("transfer-input").value = "";
  $("transfer-error").hidden = true;
  const colleagues = colleagueList().map((c) =>
    el(
      "button",
      { type: "button", class: "chip", dataset: { state: c.state, key: `tc-${c.extension}` }, onclick: () => submitTransfer(c.extension) },
      el("span", { class: "dot", "aria-hidden": "true" }),
      `${c.extension} · ${t(`state.${c.state}`)}`,
    ),
  );
  const queues = [...S.centers.values()].map((cc) =>
    el(
      "button",
      { type: "button", class: "chip", dataset: { key: `tq-${cc.id}` }, onclick: () => submitTransfer(cc.number) },
      `${cc.name} (${cc.number})`,
    ),
  );
  replaceChildren($("transfer-choices"), choiceGroup(t("transfer.colleagues"), colleagues), choiceGroup(t("transfer.queues"), queues));
  $("transfer-dialog").showModal();
  $("transfer-input").focus();
}

async function submitTransfer(destinationValue) {
  const destination = normalizeNumber(destinationValue);
  const errorBox = $("transfer-error");
  if (!isDialable(destination)) {
    errorBox.textContent = t("dial.invalid");
    errorBox.hidden = false;
    return;
  }
  const callId = transferCallId;
  $("transfer-dialog").close();
  const ok = await act("transfer", `transfer-${callId}`, () => api(M_TRANSFER, { callId, destination }));
  if (ok) toast(t("transfer.done", { destination }), "info");
}

export function onTransferSubmit(event) {
  event.preventDefault();
  submitTransfer($("transfer-input").value);
}
