// Wrap-up: the countdown after a call, the disposition codes offered for a call and entering
// one (during the call or on the wrap-up card that follows it).

import { M_DISPOSITION, api } from "./api.js";
import { renderCalls } from "./calls.js";
import { el } from "./dom.js";
import { act, actionButton } from "./feedback.js";
import { codeLabel, t } from "./i18n.js";
import { S } from "./state.js";

/** Start the countdown when own state has just become WRAP_UP (from `previousState`). The API
 * does not say a call center's wrap-up length, so it is the configured one. */
export function startWrapUp(previousState) {
  if (S.me.state === "WRAP_UP" && previousState !== "WRAP_UP") {
    S.wrapUpEndsAt = S.me.stateSince + S.config.wrapUpSeconds * 1000;
  }
}

/** Note a call's disposition (entered here or reported by an event) on its card and wrap-up. */
export function recordDisposition(callId, code) {
  const wrap = S.wrapups.get(callId);
  if (wrap) S.wrapups.set(callId, { ...wrap, disposition: code, saved: true });
  const call = S.calls.get(callId);
  if (call) S.calls.set(callId, { ...call, disposition: code });
}

async function saveDisposition(callId, code) {
  if (!code) return;
  const ok = await act("disposition", `dispo-${callId}`, () => api(M_DISPOSITION, { callId, code }));
  if (ok) {
    recordDisposition(callId, code);
    renderCalls();
  }
}

/** The codes offered for a call: its call center's (when the API lists them), else configured. */
function dispositionOptions(callCenterId) {
  const cc = callCenterId ? S.centers.get(String(callCenterId)) : null;
  if (cc && cc.dispositionCodes && cc.dispositionCodes.length) {
    return cc.dispositionCodes.map(
      (code) => S.config.dispositionCodes.find((o) => o.code === code) || { code, labels: {} },
    );
  }
  return S.config.dispositionCodes;
}

export function dispositionLabel(code) {
  const option = S.config.dispositionCodes.find((o) => o.code === code);
  return option ? codeLabel(option) : code;
}

export function dispositionForm(callId, current, compact, callCenterId) {
  const selectId = `dispo-${callId}`;
  const select = el(
    "select",
    { id: selectId, dataset: { key: `dsel-${callId}` } },
    el("option", { value: "" }, t("dispo.choose")),
    dispositionOptions(callCenterId).map((o) =>
      el("option", { value: o.code, selected: o.code === current }, codeLabel(o)),
    ),
  );
  return el(
    "form",
    {
      class: compact ? "dispo dispo-compact" : "dispo",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        saveDisposition(callId, select.value);
      },
    },
    el("label", { for: selectId }, t("dispo.label")),
    select,
    actionButton(t("dispo.save"), `dispo-${callId}`, null, { key: `dsave-${callId}`, attrs: { type: "submit" } }),
    current ? el("span", { class: "saved" }, t("dispo.saved", { code: dispositionLabel(current) })) : null,
  );
}

/** The card of an ended call, until the agent dismisses it: who it was and the disposition. */
export function wrapUpCard(wrap) {
  return el(
    "article",
    { class: "wrap-card", dataset: { callId: wrap.callId } },
    el(
      "header",
      { class: "call-head" },
      el("h3", {}, t("dispo.heading")),
      el(
        "button",
        {
          type: "button",
          class: "btn btn-ghost-dark btn-small",
          dataset: { key: `wclose-${wrap.callId}` },
          onclick: () => {
            S.wrapups.delete(wrap.callId);
            renderCalls();
          },
        },
        t("dispo.dismiss"),
      ),
    ),
    el("p", {}, t("dispo.prompt", { caller: wrap.caller || t("calls.unknownCaller") })),
    dispositionForm(wrap.callId, wrap.disposition, false, wrap.callCenterId),
  );
}
