// What each live event changes: own state, own calls (offer with screen pop, answer, hold,
// release into wrap-up, disposition), the call centers' waiting calls. Each subscription's last
// sequence is kept so a replayed event is ignored and a reconnect resumes where it stopped.

import { refreshCentersSoon, refreshHistorySoon, refreshMe } from "./desk.js";
import { renderCalls } from "./calls.js";
import { announce } from "./feedback.js";
import { t } from "./i18n.js";
import { renderQueues } from "./queues.js";
import { isTerminal, S } from "./state.js";
import { renderState } from "./statebar.js";
import { recordDisposition, startWrapUp } from "./wrapup.js";

function seen(stream, sequence) {
  if (typeof sequence !== "number") return false;
  const last = S.lastSeq[stream];
  if (last !== null && sequence <= last) return true;
  S.lastSeq[stream] = sequence;
  if (S.firstSeq === null || sequence < S.firstSeq) S.firstSeq = sequence;
  return false;
}

/**
 * The `afterSequence` to (re)subscribe with: the last event this subscription delivered; for
 * one that delivered none yet, just before the first event any subscription delivered (the
 * three start together, so nothing after that point is skipped; an older event at worst comes
 * twice and is ignored). With no event seen at all it is null (from now), and the snapshot
 * queries after a reconnect bring the state up to date.
 */
export function resumeAfter(stream) {
  if (S.lastSeq[stream] !== null) return S.lastSeq[stream];
  return S.firstSeq !== null ? S.firstSeq - 1 : null;
}

export function onAgentState(event) {
  if (!event || seen("me", event.sequence)) return;
  if (S.me && event.extension !== S.me.extension) return;
  S.stateEvents += 1;
  const previousState = S.me ? S.me.state : null;
  S.me = {
    ...(S.me || { extension: event.extension, name: "", callCenters: [] }),
    state: event.state,
    unavailableCode: event.unavailableCode,
    stateSince: event.timestamp ? Math.min(Date.now(), event.timestamp * 1000) : Date.now(),
  };
  startWrapUp(previousState);
  renderState();
}

export function onCallEvent(event) {
  if (!event || seen("calls", event.sequence)) return;
  const id = event.callId;
  const call = S.calls.get(id);
  const at = event.timestamp ? event.timestamp * 1000 : Date.now();
  switch (event.type) {
    case "CALL_OFFERED":
      if (!call) announce(t("calls.announce", { caller: event.caller || t("calls.unknownCaller") }));
      S.calls.set(id, {
        callId: id,
        caller: event.caller || (call && call.caller) || "",
        phase: "RINGING",
        since: at,
        callCenterId: event.callCenterId,
        recording: false,
        screenPop: event.screenPop || [],
      });
      break;
    case "CALL_ANSWERED":
      S.calls.set(id, {
        ...(call || { callId: id, caller: event.caller || "", callCenterId: event.callCenterId, recording: false, screenPop: [] }),
        phase: "CONNECTED",
        since: at,
      });
      break;
    case "CALL_HELD":
      if (call) S.calls.set(id, { ...call, phase: "HELD" });
      break;
    case "CALL_RESUMED":
      if (call) S.calls.set(id, { ...call, phase: "CONNECTED" });
      break;
    case "CALL_RELEASED": {
      const ended = call || { callId: id, caller: event.caller || "", callCenterId: event.callCenterId };
      S.calls.delete(id);
      if (!S.wrapups.has(id)) {
        S.wrapups.set(id, {
          callId: id,
          caller: ended.caller || event.caller || "",
          callCenterId: ended.callCenterId || event.callCenterId,
          disposition: ended.disposition || null,
          saved: Boolean(ended.disposition),
        });
      }
      refreshHistorySoon();
      break;
    }
    case "DISPOSITION_ENTERED":
      recordDisposition(id, event.data && event.data.code ? String(event.data.code) : "");
      refreshHistorySoon();
      break;
    case "CALL_BOUNCED":
      S.calls.delete(id);
      break;
    default:
      // Any other end of the call's stay in its call center (answered is handled above) takes it
      // off my desk: the server's list, so a new way for a call to end needs no change here.
      if (isTerminal(event.type)) S.calls.delete(id);
      break;
  }
  renderCalls();
}

export function onQueueEvent(event) {
  if (!event || seen("queues", event.sequence)) return;
  const center = S.centers.get(String(event.callCenterId));
  if (center) {
    if (event.type === "CALL_ADDED") {
      if (!center.waiting.some((w) => w.callId === event.callId)) {
        center.waiting.push({
          callId: event.callId,
          caller: event.caller || "",
          position: (event.data && event.data.position) || center.waiting.length + 1,
          priority: (event.data && event.data.priority) || 0,
          arrivedAt: event.timestamp ? Math.min(Date.now(), event.timestamp * 1000) : Date.now(),
        });
      }
    } else if (isTerminal(event.type)) {
      center.waiting = center.waiting.filter((w) => w.callId !== event.callId);
    }
    renderQueues();
  }
  const mine = S.me && event.agent === S.me.extension;
  if ((event.type === "AGENT_JOINED" || event.type === "AGENT_LEFT") && mine) {
    refreshMe().catch(() => {});
  }
  // Counts, orders and colleagues' states as the server sees them, once the burst settles.
  refreshCentersSoon();
}
