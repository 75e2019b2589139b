// The public API as this client uses it: the GraphQL documents, one call over HTTP with the
// session's token, and what the server's schema offers (read once per desk).

import { GraphQLError, graphqlHttp } from "./gql.js";
import { sessionEnded } from "./session.js";
import { S } from "./state.js";

function gqlUrl() {
  return new URL(S.config.graphqlPath, window.location.href).href;
}

export function wsUrl() {
  const url = new URL(S.config.graphqlPath, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

/** A query or mutation; a refused token ends the session (the sign-in screen shows why). */
export async function api(query, variables) {
  try {
    return await graphqlHttp(gqlUrl(), S.token, query, variables);
  } catch (error) {
    if (error instanceof GraphQLError && error.code === "UNAUTHENTICATED") {
      sessionEnded();
    }
    throw error;
  }
}

export const Q_ME = `query AgentMe { agents { extension name state stateSeconds unavailableCode callCenters } }`;
export const Q_CALLS = `query AgentCalls { myCalls { callId agent caller phase since callCenterId recording } }`;
export function centersQuery() {
  // Per-call-center disposition codes, when the schema offers them (else the configured list).
  const codes = S.features.centerDispositionCodes ? " dispositionCodes" : "";
  return `query AgentCallCenters { callCenters { id number name tier maxWaiters${codes}
  waitingCalls { callId caller position waitingSeconds priority } agents { extension state } } }`;
}
export const Q_HISTORY = `query AgentHistory($limit: Int!) { myCallHistory(limit: $limit) {
  callId caller callCenterId answeredAt releasedAt talkSeconds disposition } }`;
const Q_FEATURES = `query AgentFeatures {
  mutation: __type(name: "Mutation") { fields { name } }
  subscription: __type(name: "Subscription") { fields { name args { name } } }
  callCenter: __type(name: "CallCenter") { fields { name } } }`;

export const M_STATE = `mutation SetState($state: AgentState!, $reason: String) {
  setAgentState(state: $state, reason: $reason) { accepted } }`;
export const M_HOLD = `mutation Hold($callId: ID!) { holdCall(callId: $callId) { accepted } }`;
export const M_RESUME = `mutation Resume($callId: ID!) { resumeCall(callId: $callId) { accepted } }`;
export const M_HANGUP = `mutation HangUp($callId: ID!) { hangUpCall(callId: $callId) { accepted } }`;
export const M_ANSWER = `mutation Answer($callId: ID!) { answerCall(callId: $callId) { accepted } }`;
export const M_TRANSFER = `mutation Transfer($callId: ID!, $destination: String!) {
  transferCall(callId: $callId, destination: $destination) { accepted } }`;
export const M_RECORD = `mutation Record($callId: ID!, $enabled: Boolean!) {
  recordCall(callId: $callId, enabled: $enabled) { accepted } }`;
export const M_DIAL = `mutation Dial($destination: String!) {
  clickToDial(destination: $destination) { accepted callId } }`;
export const M_DISPOSITION = `mutation Disposition($callId: ID!, $code: String!) {
  enterDisposition(callId: $callId, code: $code) { accepted } }`;
export const M_JOIN = `mutation Join($id: ID!) { joinCallCenter(callCenterId: $id) { accepted } }`;
export const M_LEAVE = `mutation Leave($id: ID!) { leaveCallCenter(callCenterId: $id) { accepted } }`;

/** A subscription on `field`, resumable with `$after` where the schema allows it. */
export function subscriptionDocument(field, selection) {
  const resumable = S.features.after[field];
  return resumable
    ? `subscription Agent_${field}($after: Int) { ${field}(afterSequence: $after) { ${selection} } }`
    : `subscription Agent_${field} { ${field} { ${selection} } }`;
}

export async function loadFeatures() {
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
