// The client's shared state: one object the modules read and change, so no module keeps its own
// copy of a fact another one shows. It holds data only; the modules that fill it talk to the
// server, the ones that read it draw the page.

export const S = {
  // /agent/config.json (agent_ui.AgentUiConfig), set by setConfig before anything else runs. No
  // defaults here: a copy of the server's could drift from it.
  config: null,
  token: null,
  username: "",
  features: { answer: false, after: {} }, // what the server's schema offers (api.js loadFeatures)
  me: null, // {extension, name, state, unavailableCode, stateSince, callCenters}
  wrapUpEndsAt: null,
  calls: new Map(), // callId -> call
  wrapups: new Map(), // callId -> {callId, caller, callCenterId, disposition, saved}
  centers: new Map(), // id -> {id, number, name, waiting: [...], agents: [...]}
  history: [],
  totals: null, // today's totals (today.js), shown in the history tab
  lastSeq: { me: null, calls: null, queues: null },
  stateEvents: 0, // own state events received (see commands.js setState)
  firstSeq: null, // lowest sequence any subscription delivered (see events.js resumeAfter)
  pending: new Set(), // keys of commands under way (feedback.js act)
  loadFailed: false,
};

let terminalEventTypes = null;

export function setConfig(config) {
  S.config = config;
  terminalEventTypes = new Set(config.terminalEventTypes);
}

/** Whether an event ends a call's stay in its call center. The list is the server's (config.json,
 * from common/event_types.py), so the client cannot drift from it; asking before config.json is
 * loaded is a bug, not a "no". */
export function isTerminal(type) {
  if (!terminalEventTypes) throw new Error("isTerminal() before config.json was loaded");
  return terminalEventTypes.has(type);
}

/** Every call, wrap-up, call center and sequence forgotten: a new desk starts from the snapshot. */
export function resetDesk() {
  S.calls.clear();
  S.wrapups.clear();
  S.centers.clear();
  S.lastSeq = { me: null, calls: null, queues: null };
  S.firstSeq = null;
}
