// The live connection: one websocket with the subscriptions (own state, own calls with screen
// pop, queue events of the joined call centers, colleagues' states) and what the agent sees of
// the connection (status, reconnect banner).

import { SubscriptionClient } from "./gql.js";
import { $ } from "./dom.js";
import { subscriptionDocument, wsUrl } from "./api.js";
import { refreshAll, refreshCentersSoon } from "./desk.js";
import { onAgentState, onCallEvent, onQueueEvent, resumeAfter } from "./events.js";
import { toastError } from "./feedback.js";
import { t } from "./i18n.js";
import { sessionEnded } from "./session.js";
import { S } from "./state.js";

const COLLEAGUES_DOC =
  "subscription Agent_colleagues($cc: ID) { agentStateChanged(callCenterId: $cc) { extension state sequence } }";

let client = null;
let ownSubscriptions = []; // own state and own calls: as long as the client runs
let queueSubscription = null; // its scope is fixed when it starts (restartQueueEvents)
const colleagueSubscriptions = new Map(); // call center id -> unsubscribe
let status = "stopped";
let bannerTimer = null;

export function startLive() {
  stopLive();
  client = new SubscriptionClient(wsUrl(), () => S.token, {
    onStatus: onConnectionStatus,
    onAuthFailed: sessionEnded,
  });
  client.start();
  ownSubscriptions = [
    subscribeStream(
      "agentStateChanged",
      "extension state previous unavailableCode cause reason sequence timestamp",
      "me",
      onAgentState,
    ),
    subscribeStream(
      "myCalls",
      "type callId callCenterId caller reason sequence timestamp data screenPop { crm recordId name url kind }",
      "calls",
      onCallEvent,
    ),
  ];
  restartQueueEvents();
  followColleagues();
}

export function stopLive() {
  for (const unsubscribe of ownSubscriptions) unsubscribe();
  ownSubscriptions = [];
  if (queueSubscription) queueSubscription();
  queueSubscription = null;
  unfollowColleagues();
  if (client) client.stop();
  client = null;
}

/** Subscribe to `field`, resuming after the last sequence `stream` delivered (events.js). */
function subscribeStream(field, selection, stream, onEvent) {
  return client.subscribe(
    subscriptionDocument(field, selection),
    () => ({ after: resumeAfter(stream) }),
    (data) => onEvent(data[field]),
    onSubscriptionError,
  );
}

/** (Re)start the queue events: after joining or leaving a call center, for the new set. */
export function restartQueueEvents() {
  if (!client) return;
  if (queueSubscription) queueSubscription();
  queueSubscription = subscribeStream(
    "queueEvents",
    "type callId callCenterId caller agent reason sequence timestamp data",
    "queues",
    onQueueEvent,
  );
}

function unfollowColleagues() {
  for (const unsubscribe of colleagueSubscriptions.values()) unsubscribe();
  colleagueSubscriptions.clear();
}

/** Colleagues' availability, live: one subscription per call center of mine (started again when
 * that set changes); a colleague's state change re-reads the call centers (throttled), which carry
 * every member's state. */
export function followColleagues() {
  if (!client) return;
  const ids = [...S.centers.keys()];
  if (ids.length === colleagueSubscriptions.size && ids.every((id) => colleagueSubscriptions.has(id))) return;
  unfollowColleagues();
  for (const id of ids) {
    const unsubscribe = client.subscribe(
      COLLEAGUES_DOC,
      () => ({ cc: id }),
      (data) => {
        const event = data.agentStateChanged;
        if (event && (!S.me || event.extension !== S.me.extension)) refreshCentersSoon();
      },
      onSubscriptionError,
    );
    colleagueSubscriptions.set(id, unsubscribe);
  }
}

function onSubscriptionError(error) {
  if (error.code === "UNAUTHENTICATED") sessionEnded();
  else toastError("load", error);
}

function onConnectionStatus(next) {
  status = next;
  const banner = $("banner");
  clearTimeout(bannerTimer);
  banner.hidden = next !== "reconnecting" && next !== "resumed";
  if (next === "resumed") {
    bannerTimer = setTimeout(() => {
      banner.hidden = true;
    }, 4000);
    // The subscriptions replay what was missed after the last sequence; reading the snapshot
    // again also covers what the stream no longer holds.
    refreshAll();
  } else if (next === "connected" && S.loadFailed) {
    refreshAll();
  }
  renderConnection();
}

/** The connection status and the banner's text in the current language. Drawing only: a
 * language switch must not read the snapshot again or bring back a banner that timed out. */
export function renderConnection() {
  const node = $("conn-status");
  node.dataset.status = status;
  node.textContent = t(`conn.${status}`);
  const banner = $("banner");
  const reconnecting = status === "reconnecting";
  banner.dataset.kind = reconnecting ? "warning" : "ok";
  banner.textContent = t(reconnecting ? "banner.reconnecting" : "banner.resumed");
}
