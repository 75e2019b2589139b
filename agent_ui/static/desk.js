// The desk's snapshot: what the queries say now (own state, own calls, call centers, history),
// read when the desk starts, after a reconnect, and when an event says a view is stale.

import { GraphQLError } from "./gql.js";
import { $ } from "./dom.js";
import { Q_CALLS, Q_HISTORY, Q_ME, api, centersQuery, loadFeatures } from "./api.js";
import { renderCalls } from "./calls.js";
import { renderColleagues } from "./colleagues.js";
import { setState } from "./commands.js";
import { toastError } from "./feedback.js";
import { renderHistory } from "./history.js";
import { refreshTotals } from "./today.js";
import { refreshVoicemail } from "./voicemail.js";
import { refreshContacts } from "./contacts.js";
import { followColleagues, startLive } from "./live.js";
import { rememberCenters, renderMemberships } from "./memberships.js";
import { renderAll } from "./page.js";
import { renderQueues } from "./queues.js";
import { startSoftphone } from "./softphone.js";
import { resetDesk, S } from "./state.js";
import { renderIdentity, renderState } from "./statebar.js";
import { startWrapUp } from "./wrapup.js";

export async function startDesk(freshLogin) {
  $("login-view").hidden = true;
  $("main-view").hidden = false;
  resetDesk();
  renderAll();
  try {
    await loadFeatures();
  } catch (_) {
    return; // session ended: the login screen is showing
  }
  startLive();
  startSoftphone(); // when this session chose the browser phone
  await refreshAll();
  if (freshLogin && S.me && S.me.state === "SIGN_OUT") {
    await setState("SIGN_IN");
  }
  $("calls-section").focus({ preventScroll: true });
}

export async function refreshAll() {
  try {
    await Promise.all([
      refreshMe(),
      refreshCalls(),
      refreshCenters(),
      refreshHistory(),
      refreshVoicemail(),
      refreshContacts(),
    ]);
    S.loadFailed = false;
  } catch (error) {
    // Read again as soon as the websocket is (back) up.
    S.loadFailed = true;
    toastError("load", error);
  }
}

export async function refreshMe() {
  const data = await api(Q_ME);
  const agents = data.agents || [];
  const name = S.username.split("@")[0];
  const mine = agents.find((a) => a.extension === name) || (agents.length === 1 ? agents[0] : null);
  if (!mine) {
    S.me = S.me || { extension: name, name: "", state: "SIGN_OUT", stateSince: Date.now(), callCenters: [] };
  } else {
    const previousState = S.me ? S.me.state : null;
    S.me = {
      extension: mine.extension,
      name: mine.name || "",
      state: mine.state,
      unavailableCode: mine.unavailableCode,
      stateSince: Date.now() - (mine.stateSeconds || 0) * 1000,
      callCenters: (mine.callCenters || []).map(String),
    };
    startWrapUp(previousState);
    rememberCenters(S.me.callCenters);
  }
  renderIdentity();
  renderState();
  renderMemberships();
}

async function refreshCalls() {
  const data = await api(Q_CALLS);
  const fresh = new Map();
  for (const call of data.myCalls || []) {
    const known = S.calls.get(call.callId);
    fresh.set(call.callId, {
      callId: call.callId,
      caller: call.caller,
      phase: call.phase,
      since: call.since * 1000,
      callCenterId: call.callCenterId,
      recording: Boolean(call.recording),
      screenPop: known ? known.screenPop : null,
    });
  }
  S.calls = fresh;
  renderCalls();
}

let centersTimer = null;
/** Re-read the call centers soon: at most one query per 300 ms however busy the queues are. */
export function refreshCentersSoon() {
  if (centersTimer) return;
  centersTimer = setTimeout(() => {
    centersTimer = null;
    refreshCenters().catch(() => {});
  }, 300);
}

export async function refreshCenters() {
  const data = await api(centersQuery());
  const now = Date.now();
  const fresh = new Map();
  for (const cc of data.callCenters || []) {
    fresh.set(String(cc.id), {
      id: String(cc.id),
      number: cc.number,
      name: cc.name,
      tier: cc.tier,
      dispositionCodes: Array.isArray(cc.dispositionCodes) ? cc.dispositionCodes.map(String) : null,
      waiting: (cc.waitingCalls || []).map((w) => ({
        callId: w.callId,
        caller: w.caller,
        position: w.position,
        priority: w.priority,
        arrivedAt: now - (w.waitingSeconds || 0) * 1000,
      })),
      agents: (cc.agents || []).map((a) => ({ extension: a.extension, state: a.state })),
    });
  }
  S.centers = fresh;
  rememberCenters([...fresh.values()].map((c) => ({ id: c.id, number: c.number, name: c.name })));
  renderQueues();
  renderColleagues();
  renderMemberships();
  followColleagues();
}

let historyTimer = null;
/** Re-read the history once the events of a call's end have settled. */
export function refreshHistorySoon() {
  clearTimeout(historyTimer);
  historyTimer = setTimeout(() => refreshHistory().catch(() => {}), 300);
}

async function refreshHistory() {
  await refreshTotals();
  try {
    const data = await api(Q_HISTORY, { limit: 25 });
    S.history = data.myCallHistory || [];
  } catch (error) {
    if (error instanceof GraphQLError && error.code === "FORBIDDEN") S.history = [];
    else throw error;
  }
  renderHistory();
}
