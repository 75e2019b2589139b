// The portal's only way to the backend: the public REST API with the session's bearer token.

const TOKEN_KEY = "opencc.recordings.token";

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

async function call(method, path, body) {
  const headers = { accept: "application/json" };
  if (session.token) headers.authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const reply = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = reply.headers.get("content-type")?.includes("json") ? await reply.json() : null;
  if (!reply.ok) {
    const detail = data && typeof data.detail === "string" ? data.detail : reply.statusText;
    throw new ApiError(reply.status, detail);
  }
  return data;
}

export async function signIn(username, password) {
  const data = await call("POST", "/api/v1/auth/token", { username, password });
  session.token = data.access_token;
}

export function search(filters) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
  return call("GET", `/api/v1/recordings?${query}`);
}

export const playerLink = (id) => call("POST", `/api/v1/recordings/${id}/player`);
export const downloadLink = (id, wav) => call("POST", `/api/v1/recordings/${id}/download?wav=${wav}`);
export const setLabels = (id, labels) => call("PUT", `/api/v1/recordings/${id}/labels`, { labels });
export const mailLink = (id, to, days) => call("POST", `/api/v1/recordings/${id}/mail`, { to, days });
