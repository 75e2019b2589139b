// The agent desktop. Data comes from the public API only: the token from REST, the snapshot
// from GraphQL queries, and every later change from three GraphQL subscriptions (own state,
// own calls with screen pop, queue events of the joined call centers). No polling.

import { GraphQLError, NetworkError, SubscriptionClient, graphqlHttp } from "./gql.js";
import { el, formatDuration, replaceChildren, safeUrl } from "./dom.js";
import { LANGUAGES, codeLabel, detectLanguage, language, setLanguage, t } from "./i18n.js";

const TOKEN_KEY = "opencc.agent.token";
const CONTACTS_KEY = "opencc.agent.contacts";
const KNOWN_CENTERS_KEY = "opencc.agent.callCenters";
const NUMBER = /^\+?[0-9*#]{2,20}$/;
const TERMINAL = new Set([
  "CALL_ANSWERED",
  "CALL_ABANDONED",
  "CALL_OVERFLOWED",
  "CALL_STRANDED",
  "CALL_TRANSFERRED",
  "CALL_ESCAPED",
  "CALL_DIVERTED",
]);

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- state

const S = {
  config: {
    unavailableCodes: [],
    dispositionCodes: [],
    wrapUpSeconds: 10,
    graphqlPath: "/graphql",
    tokenPath: "/api/v1/auth/token",
  },
  token: null,
  username: "",
  features: { answer: false, after: {} },
  me: null, // {extension, name, state, unavailableCode, stateSince, callCenters}
  wrapUpEndsAt: null,
  calls: new Map(), // callId -> call
  wrapups: new Map(), // callId -> {callId, caller, callCenterId, disposition, saved}
  centers: new Map(), // id -> {id, number, name, waiting: [...], agents: [...]}
  history: [],
  lastSeq: { me: null, calls: null, queues: null },
  stateEvents: 0, // own state events received (see setState)
  firstSeq: null, // lowest sequence any subscription delivered (see resumeAfter)
  client: null,
  unsubscribe: [],
  conn: "stopped",
  activeTab: "colleagues",
  pending: new Set(),
  loadFailed: false,
};

// ---------------------------------------------------------------- API

function gqlUrl() {
  return new URL(S.config.graphqlPath, window.location.href).href;
}

function wsUrl() {
  const url = new URL(S.config.graphqlPath, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

async function api(query, variables) {
  try {
    return await graphqlHttp(gqlUrl(), S.token, query, variables);
  } catch (error) {
    if (error instanceof GraphQLError && error.code === "UNAUTHENTICATED") {
      sessionEnded();
    }
    throw error;
  }
}

const Q_ME = `query AgentMe { agents { extension name state stateSeconds unavailableCode callCenters } }`;
const Q_CALLS = `query AgentCalls { myCalls { callId agent caller phase since callCenterId recording } }`;
function centersQuery() {
  // Per-call-center disposition codes, when the schema offers them (else the configured list).
  const codes = S.features.centerDispositionCodes ? " dispositionCodes" : "";
  return `query AgentCallCenters { callCenters { id number name tier maxWaiters${codes}
  waitingCalls { callId caller position waitingSeconds priority } agents { extension state } } }`;
}
const Q_HISTORY = `query AgentHistory($limit: Int!) { myCallHistory(limit: $limit) {
  callId caller callCenterId answeredAt releasedAt talkSeconds disposition } }`;
const Q_FEATURES = `query AgentFeatures {
  mutation: __type(name: "Mutation") { fields { name } }
  subscription: __type(name: "Subscription") { fields { name args { name } } }
  callCenter: __type(name: "CallCenter") { fields { name } } }`;

const M_STATE = `mutation SetState($state: AgentState!, $reason: String) {
  setAgentState(state: $state, reason: $reason) { accepted } }`;
const M_HOLD = `mutation Hold($callId: ID!) { holdCall(callId: $callId) { accepted } }`;
const M_RESUME = `mutation Resume($callId: ID!) { resumeCall(callId: $callId) { accepted } }`;
const M_HANGUP = `mutation HangUp($callId: ID!) { hangUpCall(callId: $callId) { accepted } }`;
const M_ANSWER = `mutation Answer($callId: ID!) { answerCall(callId: $callId) { accepted } }`;
const M_TRANSFER = `mutation Transfer($callId: ID!, $destination: String!) {
  transferCall(callId: $callId, destination: $destination) { accepted } }`;
const M_RECORD = `mutation Record($callId: ID!, $enabled: Boolean!) {
  recordCall(callId: $callId, enabled: $enabled) { accepted } }`;
const M_DIAL = `mutation Dial($destination: String!) {
  clickToDial(destination: $destination) { accepted callId } }`;
const M_DISPOSITION = `mutation Disposition($callId: ID!, $code: String!) {
  enterDisposition(callId: $callId, code: $code) { accepted } }`;
const M_JOIN = `mutation Join($id: ID!) { joinCallCenter(callCenterId: $id) { accepted } }`;
const M_LEAVE = `mutation Leave($id: ID!) { leaveCallCenter(callCenterId: $id) { accepted } }`;

function subscriptionDocument(field, selection) {
  const resumable = S.features.after[field];
  return resumable
    ? `subscription Agent_${field}($after: Int) { ${field}(afterSequence: $after) { ${selection} } }`
    : `subscription Agent_${field} { ${field} { ${selection} } }`;
}

// ---------------------------------------------------------------- actions with clear errors

function errorText(action, error) {
  const code = error && error.code ? error.code : "ERROR";
  const known = ["REFUSED", "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT", "UNAUTHENTICATED", "NETWORK"];
  const first = error && Array.isArray(error.errors) ? error.errors[0] : null;
  const refusal = first && first.extensions ? first.extensions.reason : null;
  const reason =
    refusal === "not_supported" ? t("error.notSupported") : t(`error.${known.includes(code) ? code : "ERROR"}`);
  const detail = error && error.message ? String(error.message) : "";
  return `${t("error.prefix", { action: t(`action.${action}`) })}: ${reason}${detail ? ` (${detail})` : ""}.`;
}

/** Run a mutation for a button: disable it meanwhile, show a clear message when it fails. */
async function act(action, key, run) {
  if (S.pending.has(key)) return null;
  S.pending.add(key);
  renderPending();
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof GraphQLError) && !(error instanceof NetworkError)) console.error(error);
    toast(errorText(action, error), "error");
    return null;
  } finally {
    S.pending.delete(key);
    renderPending();
  }
}

function renderPending() {
  for (const node of document.querySelectorAll("[data-action-key]")) {
    node.disabled = S.pending.has(node.dataset.actionKey) || node.dataset.disabled === "true";
    node.setAttribute("aria-busy", S.pending.has(node.dataset.actionKey) ? "true" : "false");
  }
}

function toast(text, kind = "info", ttlMs = kind === "error" ? 12000 : 5000) {
  const box = $("toasts");
  const item = el(
    "div",
    { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" },
    el("span", { class: "toast-text" }, text),
    el("button", { class: "toast-close", type: "button", "aria-label": t("toast.close"), onclick: () => item.remove() }, "×"),
  );
  box.appendChild(item);
  while (box.children.length > 4) box.firstElementChild.remove();
  setTimeout(() => item.remove(), ttlMs);
}

// ---------------------------------------------------------------- sign in / out

async function signIn(username, password) {
  const response = await fetch(new URL(S.config.tokenPath, window.location.href).href, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (response.status === 401 || response.status === 422) return null;
  if (!response.ok) throw new NetworkError(`HTTP ${response.status}`);
  const body = await response.json();
  return body.access_token || null;
}

function storeToken(token, username) {
  S.token = token;
  S.username = username;
  try {
    if (token) window.sessionStorage.setItem(TOKEN_KEY, JSON.stringify({ token, username }));
    else window.sessionStorage.removeItem(TOKEN_KEY);
  } catch (_) {
    /* storage unavailable: the session lasts as long as the page */
  }
}

function storedToken() {
  try {
    const raw = window.sessionStorage.getItem(TOKEN_KEY);
    return raw ? JSON.parse(raw) : null;
  } catch (_) {
    return null;
  }
}

function showLogin(message) {
  stopLive();
  $("main-view").hidden = true;
  $("login-view").hidden = false;
  const error = $("login-error");
  error.hidden = !message;
  error.textContent = message || "";
  $("login-username").focus();
}

function sessionEnded() {
  if (!S.token) return;
  storeToken(null, "");
  showLogin(t("login.expired"));
}

function logout() {
  storeToken(null, "");
  S.me = null;
  showLogin("");
}

async function onLoginSubmit(event) {
  event.preventDefault();
  const username = $("login-username").value.trim();
  const password = $("login-password").value;
  const error = $("login-error");
  const submit = $("login-submit");
  if (!username || !password) {
    error.textContent = t("login.failed");
    error.hidden = false;
    return;
  }
  submit.disabled = true;
  submit.textContent = t("login.busy");
  try {
    const token = await signIn(username, password);
    if (!token) {
      error.textContent = t("login.failed");
      error.hidden = false;
      $("login-password").select();
      return;
    }
    $("login-password").value = "";
    storeToken(token, username);
    await startDesk(true);
  } catch (_) {
    error.textContent = t("login.unreachable");
    error.hidden = false;
  } finally {
    submit.disabled = false;
    submit.textContent = t("login.submit");
  }
}

// ---------------------------------------------------------------- the desk: load + live

async function loadFeatures() {
  try {
    const data = await api(Q_FEATURES);
    const mutations = new Set(((data.mutation && data.mutation.fields) || []).map((f) => f.name));
    S.features.answer = mutations.has("answerCall");
    const centerFields = ((data.callCenter && data.callCenter.fields) || []).map((f) => f.name);
    S.features.centerDispositionCodes = centerFields.includes("dispositionCodes");
    for (const field of (data.subscription && data.subscription.fields) || []) {
      S.features.after[field.name] = (field.args || []).some((a) => a.name === "afterSequence");
    }
  } catch (error) {
    if (error instanceof GraphQLError && error.code === "UNAUTHENTICATED") throw error;
    // Introspection switched off: assume the documented schema.
    S.features.after = { myCalls: true, agentStateChanged: true, queueEvents: true };
  }
}

async function startDesk(freshLogin) {
  $("login-view").hidden = true;
  $("main-view").hidden = false;
  S.calls.clear();
  S.wrapups.clear();
  S.centers.clear();
  S.lastSeq = { me: null, calls: null, queues: null };
  S.firstSeq = null;
  renderAll();
  try {
    await loadFeatures();
  } catch (_) {
    return; // session ended: the login screen is showing
  }
  startLive();
  await refreshAll();
  if (freshLogin && S.me && S.me.state === "SIGN_OUT") {
    await setState("SIGN_IN");
  }
  $("calls-section").focus({ preventScroll: true });
}

async function refreshAll() {
  try {
    await Promise.all([refreshMe(), refreshCalls(), refreshCenters(), refreshHistory()]);
    S.loadFailed = false;
  } catch (error) {
    // Read again as soon as the websocket is (back) up.
    S.loadFailed = true;
    toast(errorText("load", error), "error");
  }
}

async function refreshMe() {
  const data = await api(Q_ME);
  const agents = data.agents || [];
  const name = S.username.split("@")[0];
  const mine = agents.find((a) => a.extension === name) || (agents.length === 1 ? agents[0] : null);
  if (!mine) {
    S.me = S.me || { extension: name, name: "", state: "SIGN_OUT", stateSince: Date.now(), callCenters: [] };
  } else {
    const previous = S.me;
    S.me = {
      extension: mine.extension,
      name: mine.name || "",
      state: mine.state,
      unavailableCode: mine.unavailableCode,
      stateSince: Date.now() - (mine.stateSeconds || 0) * 1000,
      callCenters: (mine.callCenters || []).map(String),
    };
    if (mine.state === "WRAP_UP" && (!previous || previous.state !== "WRAP_UP")) {
      S.wrapUpEndsAt = S.me.stateSince + S.config.wrapUpSeconds * 1000;
    }
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
function refreshCentersSoon() {
  if (centersTimer) return;
  centersTimer = setTimeout(() => {
    centersTimer = null;
    refreshCenters().catch(() => {});
  }, 300);
}

async function refreshCenters() {
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
  const sameCenters = [...fresh.keys()].join() === [...S.centers.keys()].join();
  S.centers = fresh;
  rememberCenters([...fresh.values()].map((c) => ({ id: c.id, number: c.number, name: c.name })));
  renderQueues();
  renderColleagues();
  renderMemberships();
  if (!sameCenters || colleaguesUnsubscribe.length !== fresh.size) subscribeColleagues();
}

const COLLEAGUES_DOC =
  "subscription Agent_colleagues($cc: ID) { agentStateChanged(callCenterId: $cc) { extension state sequence } }";
let colleaguesUnsubscribe = [];

/** Colleagues' availability, live: one subscription per call center of mine; a colleague's state
 * change re-reads the call centers (throttled), which carry every member's state. */
function subscribeColleagues() {
  for (const unsubscribe of colleaguesUnsubscribe) {
    unsubscribe();
    S.unsubscribe = S.unsubscribe.filter((u) => u !== unsubscribe);
  }
  colleaguesUnsubscribe = [];
  if (!S.client) return;
  for (const id of S.centers.keys()) {
    const unsubscribe = S.client.subscribe(
      COLLEAGUES_DOC,
      () => ({ cc: id }),
      (data) => {
        const event = data.agentStateChanged;
        if (event && (!S.me || event.extension !== S.me.extension)) refreshCentersSoon();
      },
      onSubscriptionError,
    );
    colleaguesUnsubscribe.push(unsubscribe);
    S.unsubscribe.push(unsubscribe);
  }
}

let historyTimer = null;
function refreshHistorySoon() {
  clearTimeout(historyTimer);
  historyTimer = setTimeout(() => refreshHistory().catch(() => {}), 300);
}

async function refreshHistory() {
  try {
    const data = await api(Q_HISTORY, { limit: 25 });
    S.history = data.myCallHistory || [];
  } catch (error) {
    if (error instanceof GraphQLError && error.code === "FORBIDDEN") S.history = [];
    else throw error;
  }
  renderHistory();
}

function startLive() {
  stopLive();
  const client = new SubscriptionClient(wsUrl(), () => S.token, {
    onStatus: onConnectionStatus,
    onAuthFailed: sessionEnded,
  });
  S.client = client;
  client.start();
  subscribeMe();
  subscribeCalls();
  subscribeQueues();
  subscribeColleagues();
}

function stopLive() {
  for (const unsubscribe of S.unsubscribe) unsubscribe();
  S.unsubscribe = [];
  colleaguesUnsubscribe = [];
  if (S.client) S.client.stop();
  S.client = null;
}

function subscribeMe() {
  const doc = subscriptionDocument(
    "agentStateChanged",
    "extension state previous unavailableCode cause reason sequence timestamp",
  );
  S.unsubscribe.push(
    S.client.subscribe(
      doc,
      () => ({ after: resumeAfter("me") }),
      (data) => onAgentState(data.agentStateChanged),
      onSubscriptionError,
    ),
  );
}

function subscribeCalls() {
  const doc = subscriptionDocument(
    "myCalls",
    "type callId callCenterId caller reason sequence timestamp data screenPop { crm recordId name url kind }",
  );
  S.unsubscribe.push(
    S.client.subscribe(
      doc,
      () => ({ after: resumeAfter("calls") }),
      (data) => onCallEvent(data.myCalls),
      onSubscriptionError,
    ),
  );
}

let queuesUnsubscribe = null;
function subscribeQueues() {
  if (queuesUnsubscribe) {
    queuesUnsubscribe();
    S.unsubscribe = S.unsubscribe.filter((u) => u !== queuesUnsubscribe);
  }
  const doc = subscriptionDocument(
    "queueEvents",
    "type callId callCenterId caller agent reason sequence timestamp data",
  );
  queuesUnsubscribe = S.client.subscribe(
    doc,
    () => ({ after: resumeAfter("queues") }),
    (data) => onQueueEvent(data.queueEvents),
    onSubscriptionError,
  );
  S.unsubscribe.push(queuesUnsubscribe);
}

function onSubscriptionError(error) {
  if (error.code === "UNAUTHENTICATED") sessionEnded();
  else toast(errorText("load", error), "error");
}

let bannerTimer = null;
function onConnectionStatus(status) {
  S.conn = status;
  const node = $("conn-status");
  node.dataset.status = status;
  node.textContent = t(`conn.${status}`);
  const banner = $("banner");
  clearTimeout(bannerTimer);
  if (status === "reconnecting") {
    banner.hidden = false;
    banner.dataset.kind = "warning";
    banner.textContent = t("banner.reconnecting");
  } else if (status === "resumed") {
    banner.hidden = false;
    banner.dataset.kind = "ok";
    banner.textContent = t("banner.resumed");
    bannerTimer = setTimeout(() => {
      banner.hidden = true;
    }, 4000);
    // The subscriptions replay what was missed after the last sequence; reading the snapshot
    // again also covers what the stream no longer holds.
    refreshAll();
  } else {
    banner.hidden = true;
    if (status === "connected" && S.loadFailed) refreshAll();
  }
}

// ---------------------------------------------------------------- events

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
function resumeAfter(stream) {
  if (S.lastSeq[stream] !== null) return S.lastSeq[stream];
  return S.firstSeq !== null ? S.firstSeq - 1 : null;
}

function onAgentState(event) {
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
  if (event.state === "WRAP_UP" && previousState !== "WRAP_UP") {
    S.wrapUpEndsAt = S.me.stateSince + S.config.wrapUpSeconds * 1000;
  }
  renderState();
}

function onCallEvent(event) {
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
    case "DISPOSITION_ENTERED": {
      const code = event.data && event.data.code ? String(event.data.code) : "";
      const wrap = S.wrapups.get(id);
      if (wrap) S.wrapups.set(id, { ...wrap, disposition: code, saved: true });
      if (call) S.calls.set(id, { ...call, disposition: code });
      refreshHistorySoon();
      break;
    }
    case "CALL_BOUNCED":
    case "CALL_ABANDONED":
    case "CALL_TRANSFERRED":
    case "CALL_OVERFLOWED":
    case "CALL_STRANDED":
    case "CALL_ESCAPED":
    case "CALL_DIVERTED":
      S.calls.delete(id);
      break;
    default:
      break;
  }
  renderCalls();
}

function onQueueEvent(event) {
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
    } else if (TERMINAL.has(event.type)) {
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

// ---------------------------------------------------------------- commands

async function setState(state, reason) {
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

function currentCall() {
  const calls = [...S.calls.values()];
  return (
    calls.find((c) => c.phase === "CONNECTED") ||
    calls.find((c) => c.phase === "HELD") ||
    calls.find((c) => c.phase === "RINGING") ||
    null
  );
}

function ringingCall() {
  return [...S.calls.values()].find((c) => c.phase === "RINGING") || null;
}

async function holdOrResume(call) {
  if (!call || call.phase === "RINGING") return;
  // Separate keys: the CALL_HELD event can arrive before the hold mutation's HTTP answer, and
  // the agent may press Resume at once.
  if (call.phase === "HELD") {
    await act("resume", `resume-${call.callId}`, () => api(M_RESUME, { callId: call.callId }));
  } else {
    await act("hold", `hold-${call.callId}`, () => api(M_HOLD, { callId: call.callId }));
  }
}

async function hangUp(call) {
  if (!call) return;
  await act("hangup", `hangup-${call.callId}`, () => api(M_HANGUP, { callId: call.callId }));
}

async function answer(call) {
  if (!call || !S.features.answer) return;
  await act("answer", `answer-${call.callId}`, () => api(M_ANSWER, { callId: call.callId }));
}

async function toggleRecording(call) {
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

async function dial(destination) {
  const number = String(destination || "").replace(/[\s().-]/g, "");
  if (!NUMBER.test(number)) {
    toast(t("dial.invalid"), "error");
    return false;
  }
  const ok = await act("dial", `dial-${number}`, () => api(M_DIAL, { destination: number }));
  if (ok) toast(t("dial.started", { number }), "info");
  return Boolean(ok);
}

async function saveDisposition(callId, code) {
  if (!code) return;
  const ok = await act("disposition", `dispo-${callId}`, () => api(M_DISPOSITION, { callId, code }));
  if (ok) {
    const wrap = S.wrapups.get(callId);
    if (wrap) S.wrapups.set(callId, { ...wrap, disposition: code, saved: true });
    const call = S.calls.get(callId);
    if (call) S.calls.set(callId, { ...call, disposition: code });
    renderCalls();
  }
}

async function setMembership(id, join) {
  const ok = await act(join ? "join" : "leave", `member-${id}`, () =>
    api(join ? M_JOIN : M_LEAVE, { id }),
  );
  if (ok) {
    await Promise.all([refreshMe(), refreshCenters()]).catch(() => {});
    // The queue subscription's scope is fixed when it starts: start it again for the new set.
    if (S.client) subscribeQueues();
  }
}

// ---------------------------------------------------------------- transfer dialog

let transferCallId = null;

function openTransfer(call) {
  if (!call) return;
  transferCallId = call.callId;
  const dialog = $("transfer-dialog");
  $("transfer-input").value = "";
  $("transfer-error").hidden = true;
  const colleagues = colleagueList();
  const choices = [];
  if (colleagues.length) {
    choices.push(el("h3", {}, t("transfer.colleagues")));
    choices.push(
      el(
        "div",
        { class: "chip-row" },
        colleagues.map((c) =>
          el(
            "button",
            {
              type: "button",
              class: "chip",
              dataset: { state: c.state, key: `tc-${c.extension}` },
              onclick: () => submitTransfer(c.extension),
            },
            el("span", { class: "dot", "aria-hidden": "true" }),
            `${c.extension} · ${t(`state.${c.state}`)}`,
          ),
        ),
      ),
    );
  }
  const centers = [...S.centers.values()];
  if (centers.length) {
    choices.push(el("h3", {}, t("transfer.queues")));
    choices.push(
      el(
        "div",
        { class: "chip-row" },
        centers.map((cc) =>
          el(
            "button",
            { type: "button", class: "chip", dataset: { key: `tq-${cc.id}` }, onclick: () => submitTransfer(cc.number) },
            `${cc.name} (${cc.number})`,
          ),
        ),
      ),
    );
  }
  replaceChildren($("transfer-choices"), choices);
  dialog.showModal();
  $("transfer-input").focus();
}

async function submitTransfer(destinationValue) {
  const destination = String(destinationValue || "").replace(/[\s().-]/g, "");
  const errorBox = $("transfer-error");
  if (!NUMBER.test(destination)) {
    errorBox.textContent = t("dial.invalid");
    errorBox.hidden = false;
    return;
  }
  const callId = transferCallId;
  $("transfer-dialog").close();
  const ok = await act("transfer", `transfer-${callId}`, () => api(M_TRANSFER, { callId, destination }));
  if (ok) toast(t("transfer.done", { destination }), "info");
}

// ---------------------------------------------------------------- rendering

function renderAll() {
  applyStaticTexts();
  renderIdentity();
  renderState();
  renderCalls();
  renderQueues();
  renderColleagues();
  renderHistory();
  renderContacts();
  renderMemberships();
  renderHelp();
  onConnectionStatus(S.conn);
}

function applyStaticTexts() {
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  for (const node of document.querySelectorAll("[data-i18n-label]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  }
  updateTitle();
  for (const group of document.querySelectorAll(".lang-switch")) {
    replaceChildren(
      group,
      LANGUAGES.map((lang) =>
        el(
          "button",
          {
            type: "button",
            class: "lang",
            lang,
            "aria-pressed": String(lang === language()),
            dataset: { key: `lang-${lang}` },
            onclick: () => switchLanguage(lang),
          },
          lang.toUpperCase(),
        ),
      ),
    );
  }
  const select = $("reason-select");
  const chosen = select.value;
  replaceChildren(
    select,
    S.config.unavailableCodes.map((option) => el("option", { value: option.code }, codeLabel(option))),
  );
  if (chosen) select.value = chosen;
}

function switchLanguage(lang) {
  setLanguage(lang, true);
  renderAll();
}

function renderIdentity() {
  const me = S.me;
  const node = $("agent-identity");
  if (!me) {
    node.textContent = "";
    return;
  }
  const named = me.name && !me.name.includes(me.extension);
  node.textContent = named ? `${me.name} · ${me.extension}` : me.name || t("header.agent", { name: me.extension });
}

function stateLabel(me) {
  if (me.state === "UNAVAILABLE" && me.unavailableCode) {
    const option = S.config.unavailableCodes.find((o) => o.code === me.unavailableCode);
    return `${t("state.UNAVAILABLE")} · ${option ? codeLabel(option) : me.unavailableCode}`;
  }
  return t(`state.${me.state}`);
}

function renderState() {
  const me = S.me || { state: "SIGN_OUT", stateSince: Date.now() };
  const pill = $("state-pill");
  pill.dataset.state = me.state;
  pill.textContent = stateLabel(me);
  $("state-bar").dataset.state = me.state;
  const signedOut = me.state === "SIGN_OUT";
  setVisible($("btn-sign-in"), signedOut);
  $("btn-available").textContent = me.state === "WRAP_UP" ? t("state.availableNow") : t("state.available");
  setAction($("btn-available"), "state-AVAILABLE", signedOut || me.state === "AVAILABLE");
  setAction($("btn-unavailable"), "state-UNAVAILABLE", signedOut);
  $("reason-select").disabled = signedOut;
  setAction($("btn-sign-out"), "state-SIGN_OUT", signedOut);
  setAction($("btn-sign-in"), "state-SIGN_IN", false);
  $("btn-available").setAttribute("aria-pressed", String(me.state === "AVAILABLE"));
  $("btn-unavailable").setAttribute("aria-pressed", String(me.state === "UNAVAILABLE"));
  tick();
  renderPending();
}

function setVisible(node, visible) {
  node.hidden = !visible;
}

function setAction(node, key, disabled) {
  node.dataset.actionKey = key;
  node.dataset.disabled = String(Boolean(disabled));
  node.disabled = Boolean(disabled) || S.pending.has(key);
}

function centerName(id) {
  const cc = id ? S.centers.get(String(id)) : null;
  if (cc) return `${cc.name} (${cc.number})`;
  return id ? String(id) : "";
}

function screenPopCard(records) {
  const list = records || [];
  if (!list.length) {
    return el("div", { class: "pop pop-empty" }, el("p", { class: "muted" }, t("pop.none")));
  }
  const [first, ...others] = list;
  const company = others.find((r) => /^(account|company)$/i.test(r.kind || ""));
  const rest = others.filter((r) => r !== company);
  const url = safeUrl(first.url);
  const kindKey = `pop.kind.${String(first.kind || "contact").toLowerCase()}`;
  const kindText = t(kindKey) === kindKey ? String(first.kind || "") : t(kindKey);
  return el(
    "div",
    { class: "pop", "aria-label": t("pop.heading") },
    el("div", { class: "pop-avatar", "aria-hidden": "true" }, initials(first.name)),
    el(
      "div",
      { class: "pop-body" },
      el("div", { class: "pop-name" }, first.name || ""),
      el(
        "div",
        { class: "pop-meta" },
        company ? el("span", { class: "pop-company" }, company.name || "") : null,
        el("span", { class: "pop-kind" }, kindText),
        el("span", { class: "pop-crm" }, first.crm || ""),
      ),
      url
        ? el(
            "a",
            { class: "pop-link", href: url, target: "_blank", rel: "noopener noreferrer", dataset: { key: `pop-${first.recordId}` } },
            t("pop.open", { crm: first.crm || "CRM" }),
          )
        : el("span", { class: "pop-url" }, first.url || ""),
      rest.length ? el("div", { class: "muted pop-more" }, t("pop.more", { count: rest.length })) : null,
    ),
  );
}

function initials(name) {
  const words = String(name || "?").trim().split(/\s+/).filter(Boolean);
  return (words.slice(0, 2).map((w) => w[0]).join("") || "?").toUpperCase();
}

function actionButton(label, key, onclick, extra = {}) {
  return el(
    "button",
    { type: "button", class: `btn ${extra.class || ""}`, dataset: { actionKey: key, key, disabled: "false" }, onclick, ...extra.attrs },
    label,
  );
}

function callCard(call) {
  const phaseText = call.phase === "RINGING" ? t("calls.ringing") : call.phase === "HELD" ? t("calls.held") : t("calls.connected");
  const via = call.callCenterId ? t("calls.queue", { name: centerName(call.callCenterId) }) : t("calls.direct");
  const actions = [];
  if (call.phase === "RINGING") {
    if (S.features.answer) {
      actions.push(
        actionButton(t("calls.answer"), `answer-${call.callId}`, () => answer(call), {
          class: "btn-available",
          attrs: { "aria-keyshortcuts": "Alt+A" },
        }),
      );
    } else {
      actions.push(el("span", { class: "hint" }, t("calls.ringingHint")));
    }
    // No "decline": hanging up a ringing call would drop the caller too. A phone that rejects
    // the offer makes the engine bounce the call to the next agent.
  } else {
    actions.push(
      actionButton(call.phase === "HELD" ? t("calls.resume") : t("calls.hold"), `${call.phase === "HELD" ? "resume" : "hold"}-${call.callId}`, () => holdOrResume(call), {
        attrs: { "aria-keyshortcuts": "Alt+H", "aria-pressed": String(call.phase === "HELD") },
      }),
      actionButton(t("calls.transfer"), `transfer-${call.callId}`, () => openTransfer(call), {
        attrs: { "aria-keyshortcuts": "Alt+T" },
      }),
      actionButton(
        [el("span", { class: "rec-dot", "aria-hidden": "true" }), t("calls.record")],
        `rec-${call.callId}`,
        () => toggleRecording(call),
        { class: call.recording ? "btn-rec on" : "btn-rec", attrs: { "aria-pressed": String(call.recording), "aria-keyshortcuts": "Alt+R" } },
      ),
      actionButton(t("calls.hangup"), `hangup-${call.callId}`, () => hangUp(call), {
        class: "btn-danger",
        attrs: { "aria-keyshortcuts": "Alt+X" },
      }),
    );
  }
  const dispo =
    call.phase === "RINGING" ? null : dispositionForm(call.callId, call.disposition, true, call.callCenterId);
  return el(
    "article",
    {
      class: `call-card phase-${call.phase.toLowerCase()}`,
      dataset: { callId: call.callId, phase: call.phase },
      "aria-label": `${phaseText}: ${call.caller || t("calls.unknownCaller")}`,
    },
    el(
      "header",
      { class: "call-head" },
      el("span", { class: "phase-badge" }, phaseText),
      call.recording ? el("span", { class: "rec-badge" }, t("calls.recording")) : null,
      el("span", { class: "call-timer", dataset: { since: call.since } }, formatDuration((Date.now() - call.since) / 1000)),
    ),
    el("div", { class: "caller-number" }, call.caller || t("calls.unknownCaller")),
    el("div", { class: "call-via muted" }, via),
    screenPopCard(call.screenPop),
    el("div", { class: "call-actions", role: "group", "aria-label": t("calls.actions") }, actions),
    dispo,
  );
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

function dispositionForm(callId, current, compact, callCenterId) {
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
    el("button", { type: "submit", class: "btn", dataset: { actionKey: `dispo-${callId}`, key: `dsave-${callId}`, disabled: "false" } }, t("dispo.save")),
    current ? el("span", { class: "saved" }, t("dispo.saved", { code: dispositionLabel(current) })) : null,
  );
}

function dispositionLabel(code) {
  const option = S.config.dispositionCodes.find((o) => o.code === code);
  return option ? codeLabel(option) : code;
}

/** Tell screen-reader users about an offered call (a polite live region, text only). */
function announce(text) {
  const region = $("announcer");
  region.textContent = "";
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

/** The tab title shows a ringing call, so an agent in another tab sees it. */
function updateTitle() {
  const base = `${S.config.productName || "OpenCC"} ${t("app.title")}`;
  const ringing = ringingCall();
  document.title = ringing ? `☎ ${ringing.caller || t("calls.unknownCaller")} · ${base}` : base;
}

function renderCalls() {
  updateTitle();
  const calls = [...S.calls.values()].sort((a, b) => (a.phase === "RINGING") - (b.phase === "RINGING") || a.since - b.since);
  replaceChildren($("calls-list"), calls.map(callCard));
  $("calls-empty").hidden = calls.length > 0 || S.wrapups.size > 0;
  const wraps = [...S.wrapups.values()].map((wrap) =>
    el(
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
    ),
  );
  replaceChildren($("wrapups"), wraps);
  renderPending();
}

function colleagueList() {
  const me = S.me ? S.me.extension : null;
  const byExt = new Map();
  for (const cc of S.centers.values()) {
    for (const agent of cc.agents) {
      if (agent.extension === me) continue;
      const entry = byExt.get(agent.extension) || { extension: agent.extension, state: agent.state, centers: [] };
      entry.state = agent.state;
      entry.centers.push(cc.name);
      byExt.set(agent.extension, entry);
    }
  }
  const order = { AVAILABLE: 0, WRAP_UP: 1, BUSY: 2, SIGN_IN: 3, UNAVAILABLE: 4, SIGN_OUT: 5 };
  return [...byExt.values()].sort((a, b) => (order[a.state] ?? 9) - (order[b.state] ?? 9) || a.extension.localeCompare(b.extension));
}

function renderQueues() {
  const centers = [...S.centers.values()].sort((a, b) => String(a.number).localeCompare(String(b.number)));
  const me = S.me ? S.me.extension : null;
  if (!centers.length) {
    replaceChildren($("queues-list"), el("p", { class: "empty" }, t("queues.none")));
    return;
  }
  replaceChildren(
    $("queues-list"),
    centers.map((cc) => {
      const oldest = cc.waiting.reduce((min, w) => Math.min(min, w.arrivedAt), Infinity);
      const available = cc.agents.filter((a) => a.state === "AVAILABLE").length;
      const index = cc.agents.findIndex((a) => a.extension === me);
      return el(
        "article",
        { class: "queue-card", dataset: { callCenter: cc.id, waiting: cc.waiting.length } },
        el("header", { class: "queue-head" }, el("h3", {}, cc.name), el("span", { class: "muted" }, cc.number)),
        el(
          "dl",
          { class: "queue-stats" },
          stat(t("queues.waiting"), String(cc.waiting.length), cc.waiting.length ? "warn" : "", "waiting"),
          stat(
            t("queues.longest"),
            Number.isFinite(oldest) ? formatDuration((Date.now() - oldest) / 1000) : "–",
            "",
            "longest",
            Number.isFinite(oldest) ? oldest : null,
          ),
          stat(t("queues.available"), `${available}/${cc.agents.length}`, "", "available"),
          index >= 0 ? stat(t("queues.position"), t("queues.positionValue", { position: index + 1, count: cc.agents.length }), "", "position") : null,
        ),
        cc.waiting.length
          ? el(
              "ol",
              { class: "waiting-list" },
              [...cc.waiting]
                .sort((a, b) => a.position - b.position)
                .slice(0, 5)
                .map((w) =>
                  el(
                    "li",
                    {},
                    el("span", { class: "waiting-caller" }, w.caller || t("calls.unknownCaller")),
                    el("span", { class: "waiting-time", dataset: { since: w.arrivedAt } }, formatDuration((Date.now() - w.arrivedAt) / 1000)),
                  ),
                ),
            )
          : el("p", { class: "muted small" }, t("queues.noneWaiting")),
      );
    }),
  );
}

function stat(label, value, tone, name, since) {
  return el(
    "div",
    { class: `stat ${tone || ""}`, dataset: { stat: name } },
    el("dt", {}, label),
    el("dd", since ? { dataset: { since } } : {}, value),
  );
}

function renderColleagues() {
  const list = colleagueList();
  const panel = $("panel-colleagues");
  if (!list.length) {
    replaceChildren(panel, el("p", { class: "empty" }, t("colleagues.none")));
    return;
  }
  replaceChildren(
    panel,
    el(
      "ul",
      { class: "rows" },
      list.map((c) =>
        el(
          "li",
          { class: "row", dataset: { extension: c.extension, state: c.state } },
          el("span", { class: "dot", "aria-hidden": "true" }),
          el(
            "div",
            { class: "row-main" },
            el("div", { class: "row-title" }, t("colleagues.extension", { extension: c.extension })),
            el("div", { class: "row-sub muted" }, `${t(`state.${c.state}`)} · ${c.centers.join(", ")}`),
          ),
          dialButton(c.extension, t("colleagues.call", { name: c.extension })),
        ),
      ),
    ),
  );
}

function dialButton(number, label) {
  return el(
    "button",
    {
      type: "button",
      class: "btn btn-small btn-dial",
      "aria-label": label,
      title: label,
      dataset: { actionKey: `dial-${String(number).replace(/[\s().-]/g, "")}`, key: `dialbtn-${number}`, disabled: "false" },
      onclick: () => dial(number),
    },
    t("dial.call"),
  );
}

function renderHistory() {
  const panel = $("panel-history");
  const rows = S.history.map((h) => {
    const when = h.answeredAt ? new Date(h.answeredAt * 1000) : null;
    const time = when ? when.toLocaleString(language() === "nl" ? "nl-NL" : "en-GB", { dateStyle: "short", timeStyle: "short" }) : "";
    const sub = [time, h.talkSeconds != null ? t("history.talk", { time: formatDuration(h.talkSeconds) }) : null, h.disposition ? dispositionLabel(h.disposition) : null, h.callCenterId ? centerName(h.callCenterId) : null]
      .filter(Boolean)
      .join(" · ");
    return el(
      "li",
      { class: "row", dataset: { callId: h.callId } },
      el("div", { class: "row-main" }, el("div", { class: "row-title" }, h.caller || t("calls.unknownCaller")), el("div", { class: "row-sub muted" }, sub)),
      h.caller ? dialButton(h.caller, t("history.call", { number: h.caller })) : null,
    );
  });
  replaceChildren(panel, rows.length ? el("ul", { class: "rows" }, rows) : el("p", { class: "empty" }, t("history.none")));
  renderPending();
}

function loadContacts() {
  try {
    const list = JSON.parse(window.localStorage.getItem(CONTACTS_KEY) || "[]");
    return Array.isArray(list) ? list.filter((c) => c && typeof c.number === "string") : [];
  } catch (_) {
    return [];
  }
}

function saveContacts(list) {
  try {
    window.localStorage.setItem(CONTACTS_KEY, JSON.stringify(list));
  } catch (_) {
    /* storage full or blocked */
  }
}

function renderContacts() {
  const contacts = loadContacts();
  const queueRows = [...S.centers.values()].map((cc) =>
    el(
      "li",
      { class: "row" },
      el("div", { class: "row-main" }, el("div", { class: "row-title" }, cc.name), el("div", { class: "row-sub muted" }, t("contacts.queue", { number: cc.number }))),
      dialButton(cc.number, t("contacts.call", { name: cc.name })),
    ),
  );
  const rows = contacts.map((c, index) =>
    el(
      "li",
      { class: "row" },
      el("div", { class: "row-main" }, el("div", { class: "row-title" }, c.name || c.number), el("div", { class: "row-sub muted" }, c.number)),
      dialButton(c.number, t("contacts.call", { name: c.name || c.number })),
      el(
        "button",
        {
          type: "button",
          class: "btn btn-small btn-ghost-dark",
          "aria-label": t("contacts.remove", { name: c.name || c.number }),
          dataset: { key: `crm-${index}` },
          onclick: () => {
            saveContacts(loadContacts().filter((_, i) => i !== index));
            renderContacts();
          },
        },
        "×",
      ),
    ),
  );
  replaceChildren($("contacts-list"), rows.length ? rows : el("li", { class: "empty" }, t("contacts.none")), queueRows);
  renderPending();
}

function knownCenters() {
  try {
    const raw = JSON.parse(window.localStorage.getItem(KNOWN_CENTERS_KEY) || "{}");
    return raw && typeof raw === "object" ? raw : {};
  } catch (_) {
    return {};
  }
}

/** Remember call centers seen, so one the agent left can be joined again from this screen. */
function rememberCenters(list) {
  const known = knownCenters();
  for (const item of list) {
    const entry = typeof item === "string" ? { id: item } : item;
    known[entry.id] = { ...(known[entry.id] || {}), ...entry };
  }
  try {
    window.localStorage.setItem(KNOWN_CENTERS_KEY, JSON.stringify(known));
  } catch (_) {
    /* ignore */
  }
}

function renderMemberships() {
  const panel = $("panel-memberships");
  const known = knownCenters();
  const joined = new Set(S.me ? S.me.callCenters : []);
  const ids = Object.keys(known).sort();
  if (!ids.length) {
    replaceChildren(panel, el("p", { class: "empty" }, t("members.none")));
    return;
  }
  replaceChildren(
    panel,
    el("p", { class: "muted small" }, t("members.hint")),
    el(
      "ul",
      { class: "rows" },
      ids.map((id) => {
        const cc = S.centers.get(id) || known[id];
        const isMember = joined.has(id);
        return el(
          "li",
          { class: "row", dataset: { callCenter: id, joined: String(isMember) } },
          el("div", { class: "row-main" }, el("div", { class: "row-title" }, cc.name || id), el("div", { class: "row-sub muted" }, isMember ? t("members.joined") : cc.number || id)),
          el(
            "button",
            {
              type: "button",
              class: isMember ? "btn btn-small btn-ghost-dark" : "btn btn-small",
              dataset: { actionKey: `member-${id}`, key: `member-${id}`, disabled: "false" },
              onclick: () => setMembership(id, !isMember),
            },
            isMember ? t("members.leave") : t("members.join"),
          ),
        );
      }),
    ),
  );
  renderPending();
}

const SHORTCUTS = [
  ["Alt+A", "help.answer"],
  ["Alt+H", "help.hold"],
  ["Alt+X", "help.hangup"],
  ["Alt+T", "help.transfer"],
  ["Alt+R", "help.record"],
  ["Alt+1", "help.available"],
  ["Alt+2", "help.unavailable"],
  ["Alt+D", "help.dial"],
  ["?", "help.help"],
];

function renderHelp() {
  replaceChildren(
    $("help-list"),
    SHORTCUTS.map(([keys, key]) => [el("dt", {}, el("kbd", {}, keys)), el("dd", {}, t(key))]),
  );
}

/** Once a second: timers on screen (time in state, call time, waiting time, wrap-up countdown). */
function tick() {
  const now = Date.now();
  for (const node of document.querySelectorAll("[data-since]")) {
    const since = Number(node.dataset.since);
    if (Number.isFinite(since)) node.textContent = formatDuration((now - since) / 1000);
  }
  const me = S.me;
  const timer = $("state-timer");
  if (!me) {
    timer.textContent = "";
    return;
  }
  if (me.state === "WRAP_UP" && S.wrapUpEndsAt) {
    const left = Math.ceil((S.wrapUpEndsAt - now) / 1000);
    timer.dataset.countdown = String(Math.max(0, left));
    timer.textContent = left > 0 ? t("state.wrapupLeft", { time: formatDuration(left) }) : t("state.wrapupOver");
  } else {
    delete timer.dataset.countdown;
    timer.textContent = t("state.since", { time: formatDuration((now - me.stateSince) / 1000) });
  }
}

// ---------------------------------------------------------------- keyboard

function onKeyDown(event) {
  if ($("main-view").hidden) return;
  const dialogOpen = $("transfer-dialog").open || $("help-dialog").open;
  if (dialogOpen) return;
  const typing = /^(INPUT|SELECT|TEXTAREA)$/.test((event.target && event.target.tagName) || "");
  if (event.key === "?" && !typing && !event.altKey && !event.ctrlKey && !event.metaKey) {
    event.preventDefault();
    $("help-dialog").showModal();
    return;
  }
  if (!event.altKey || event.ctrlKey || event.metaKey) return;
  const call = currentCall();
  const handlers = {
    KeyA: () => answer(ringingCall()),
    KeyH: () => holdOrResume(call),
    KeyX: () => hangUp(call && call.phase !== "RINGING" ? call : null),
    KeyT: () => call && call.phase !== "RINGING" && openTransfer(call),
    KeyR: () => toggleRecording(call),
    Digit1: () => setState("AVAILABLE"),
    Digit2: () => setState("UNAVAILABLE", $("reason-select").value),
    KeyD: () => $("dial-input").focus(),
  };
  const handler = handlers[event.code];
  if (handler) {
    event.preventDefault();
    handler();
  }
}

function setupTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const select = (tab, focus) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      $(other.getAttribute("aria-controls")).hidden = !selected;
    }
    S.activeTab = tab.id.replace("tab-", "");
    if (focus) tab.focus();
  };
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => select(tab, false));
    tab.addEventListener("keydown", (event) => {
      const moves = { ArrowRight: 1, ArrowLeft: -1 };
      if (event.key in moves) {
        event.preventDefault();
        select(tabs[(index + moves[event.key] + tabs.length) % tabs.length], true);
      } else if (event.key === "Home") {
        event.preventDefault();
        select(tabs[0], true);
      } else if (event.key === "End") {
        event.preventDefault();
        select(tabs[tabs.length - 1], true);
      }
    });
  });
}

// ---------------------------------------------------------------- start

async function loadConfig() {
  try {
    const response = await fetch("./config.json", { headers: { Accept: "application/json" } });
    if (response.ok) S.config = { ...S.config, ...(await response.json()) };
  } catch (_) {
    /* defaults */
  }
}

function wire() {
  $("login-form").addEventListener("submit", onLoginSubmit);
  $("logout-button").addEventListener("click", logout);
  $("help-button").addEventListener("click", () => $("help-dialog").showModal());
  $("help-close").addEventListener("click", () => $("help-dialog").close());
  $("btn-available").addEventListener("click", () => setState("AVAILABLE"));
  $("btn-sign-in").addEventListener("click", () => setState("SIGN_IN"));
  $("btn-unavailable").addEventListener("click", () => setState("UNAVAILABLE", $("reason-select").value));
  $("btn-sign-out").addEventListener("click", async () => {
    await setState("SIGN_OUT");
  });
  $("dial-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (await dial($("dial-input").value)) $("dial-input").value = "";
  });
  $("transfer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submitTransfer($("transfer-input").value);
  });
  $("transfer-cancel").addEventListener("click", () => $("transfer-dialog").close());
  $("contact-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = $("contact-name").value.trim();
    const number = $("contact-number").value.replace(/[\s().-]/g, "");
    if (!NUMBER.test(number)) {
      toast(t("dial.invalid"), "error");
      return;
    }
    saveContacts([...loadContacts(), { name, number }]);
    $("contact-name").value = "";
    $("contact-number").value = "";
    renderContacts();
  });
  document.addEventListener("keydown", onKeyDown);
  setupTabs();
  setInterval(tick, 1000);
}

async function main() {
  setLanguage(detectLanguage());
  await loadConfig();
  wire();
  renderAll();
  const stored = storedToken();
  if (stored && stored.token) {
    storeToken(stored.token, stored.username || "");
    await startDesk(false);
  } else {
    showLogin("");
  }
  document.body.dataset.ready = "true";
}

main();
