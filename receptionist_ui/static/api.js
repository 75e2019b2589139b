// The console's only way to the backend: the public REST API with the session's bearer token.

const TOKEN_KEY = "opencc.receptionist.token";
const BASE = "/api/v1/receptionist";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

function headers(json) {
  const result = { accept: json ? "application/json" : "text/event-stream" };
  if (session.token) result.authorization = `Bearer ${session.token}`;
  return result;
}

export async function call(method, path, body) {
  const sent = headers(true);
  if (body !== undefined) sent["content-type"] = "application/json";
  const reply = await fetch(path, {
    method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = reply.headers.get("content-type")?.includes("json") ? await reply.json() : null;
  if (!reply.ok) {
    const detail = data?.detail;
    const message = typeof detail === "string" ? detail : detail?.message || reply.statusText;
    throw new ApiError(reply.status, message);
  }
  return data;
}

export async function signIn(username, password) {
  const data = await call("POST", "/api/v1/auth/token", { username, password });
  session.token = data.access_token;
}

export const consoleState = () => call("GET", BASE);
export const setMonitored = (extensions) => call("PUT", `${BASE}/monitored`, { extensions });
export const searchDirectory = (q) => call("GET", `${BASE}/directory?q=${encodeURIComponent(q)}`);
export const transfer = (target) => call("POST", `${BASE}/transfer`, { target });
export const answer = () => call("POST", `${BASE}/answer`);
export const toVoicemail = (target) => call("POST", `${BASE}/voicemail`, { target });
export const screenPop = (number) =>
  call("GET", `/api/v1/screen-pop?number=${encodeURIComponent(number)}`);
// The public GraphQL API (the supervisor's queue commands, queues.js); its errors as ApiError.
export async function graphql(query, variables = {}) {
  const body = await call("POST", "/graphql", { query, variables });
  if (body?.errors?.length) throw new ApiError(400, body.errors[0].message);
  return body.data;
}
export const callHistory = () => call("GET", `${BASE}/history`);
export const writeNote = (callId, text) =>
  call("PUT", `${BASE}/history/${encodeURIComponent(callId)}/note`, { text });
// The call actions (calls.js): each on the call of the receptionist's own phone.
export const callAction = (path, target) =>
  call("POST", `${BASE}/calls/${path}`, target === undefined ? undefined : { target });

// Server-Sent Events over fetch (EventSource cannot send the Authorization header): calls
// onEvent(name, data) per event; resolves when the stream ends (the caller reconnects).
export async function events(path, onEvent, signal) {
  const reply = await fetch(path, { headers: headers(false), signal });
  if (!reply.ok) throw new ApiError(reply.status, reply.statusText);
  const reader = reply.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split("\n");
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
      const data = lines.find((l) => l.startsWith("data: "))?.slice(6);
      if (event && data) onEvent(event, JSON.parse(data));
    }
  }
}

// The console's live stream: onTile(tile) per `tile` event, onActions(actions) per `actions`
// event (the call actions the receptionist's own call allows now).
export const follow = (onTile, onActions, signal) =>
  events(
    `${BASE}/live`,
    (name, data) => {
      if (name === "tile") onTile(data);
      else if (name === "actions") onActions(data);
    },
    signal,
  );
