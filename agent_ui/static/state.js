// The client's shared state: one object the modules read and change, so no module keeps its own
// copy of a fact another one shows. It holds data only; the modules that fill it talk to the
// server, the ones that read it draw the page.

export const S = {
  config: {
    unavailableCodes: [],
    dispositionCodes: [],
    wrapUpSeconds: 10,
    graphqlPath: "/graphql",
    tokenPath: "/api/v1/auth/token",
  },
  token: null,
  username: "",
  features: { answer: false, after: {} }, // what the server's schema offers (api.js loadFeatures)
  me: null, // {extension, name, state, unavailableCode, stateSince, callCenters}
  wrapUpEndsAt: null,
  calls: new Map(), // callId -> call
  wrapups: new Map(), // callId -> {callId, caller, callCenterId, disposition, saved}
  centers: new Map(), // id -> {id, number, name, waiting: [...], agents: [...]}
  history: [],
  lastSeq: { me: null, calls: null, queues: null },
  stateEvents: 0, // own state events received (see commands.js setState)
  firstSeq: null, // lowest sequence any subscription delivered (see events.js resumeAfter)
  pending: new Set(), // keys of commands under way (feedback.js act)
  loadFailed: false,
};

const TERMINAL = new Set([
  "CALL_ANSWERED",
  "CALL_ABANDONED",
  "CALL_OVERFLOWED",
  "CALL_STRANDED",
  "CALL_TRANSFERRED",
  "CALL_ESCAPED",
  "CALL_DIVERTED",
]);

export function setConfig(config) {
  S.config = { ...S.config, ...config };
}

/** Whether an event ends a call's stay in its call center. */
export function isTerminal(type) {
  return TERMINAL.has(type);
}

/** Every call, wrap-up, call center and sequence forgotten: a new desk starts from the snapshot. */
export function resetDesk() {
  S.calls.clear();
  S.wrapups.clear();
  S.centers.clear();
  S.lastSeq = { me: null, calls: null, queues: null };
  S.firstSeq = null;
}
