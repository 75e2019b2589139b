// Commands on the agent's own state and calls (state, answer, hold/resume, Rec, hang up), each
// run through act() so the button is busy meanwhile and a refusal is explained.

import { M_ANSWER, M_HANGUP, M_HOLD, M_RECORD, M_RESUME, M_STATE, api } from "./api.js";
import { renderCalls } from "./calls.js";
import { refreshMe } from "./desk.js";
import { act } from "./feedback.js";
import { S } from "./state.js";

export async function setState(state, reason) {
  const eventsBefore = S.stateEvents;
  const ok = await act("setState", `state-${state}`, () =>
    api(M_STATE, { state, reason: state === "UNAVAILABLE" ? reason || null : null }),
  );
  if (!ok) return;
  // The change arrives as an event. A subscription that the server registered only after the
  // event was written (right after sign-in) misses it: if none came, read the state once.
  setTimeout(() => {
    if (S.stateEvents === eventsBefore && S.token) refreshMe().catch(() => {});
  }, 1500);
}

/** The call the shortcuts act on: the connected one, else the held one, else the ringing one. */
export function currentCall() {
  const calls = [...S.calls.values()];
  return (
    calls.find((c) => c.phase === "CONNECTED") ||
    calls.find((c) => c.phase === "HELD") ||
    calls.find((c) => c.phase === "RINGING") ||
    null
  );
}

export function ringingCall() {
  return [...S.calls.values()].find((c) => c.phase === "RINGING") || null;
}

export async function holdOrResume(call) {
  if (!call || call.phase === "RINGING") return;
  // Separate keys: the CALL_HELD event can arrive before the hold mutation's HTTP answer, and
  // the agent may press Resume at once.
  if (call.phase === "HELD") {
    await act("resume", `resume-${call.callId}`, () => api(M_RESUME, { callId: call.callId }));
  } else {
    await act("hold", `hold-${call.callId}`, () => api(M_HOLD, { callId: call.callId }));
  }
}

export async function hangUp(call) {
  if (!call) return;
  await act("hangup", `hangup-${call.callId}`, () => api(M_HANGUP, { callId: call.callId }));
}

export async function answer(call) {
  if (!call || !S.features.answer) return;
  await act("answer", `answer-${call.callId}`, () => api(M_ANSWER, { callId: call.callId }));
}

export async function toggleRecording(call) {
  if (!call || call.phase === "RINGING") return;
  const enabled = !call.recording;
  const ok = await act("record", `rec-${call.callId}`, () =>
    api(M_RECORD, { callId: call.callId, enabled }),
  );
  // The API has no recording event yet: the accepted command is the confirmation.
  const still = S.calls.get(call.callId);
  if (ok && still) {
    S.calls.set(call.callId, { ...still, recording: enabled });
    renderCalls();
  }
}
