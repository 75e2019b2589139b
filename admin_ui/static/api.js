// The admin REST API with the session's bearer token; every refusal as an ApiError that names
// the field and the reason the server gave.

const TOKEN_KEY = "opencc-admin-token";

export class ApiError extends Error {
  constructor(status, field, reason, detail) {
    super(`${field}: ${reason}`);
    this.status = status;
    this.field = field;
    this.reason = reason;
    this.detail = detail;
  }
}

export const session = {
  token: sessionStorage.getItem(TOKEN_KEY),
  claims: null,
  onEnded: () => {},
};

function decodeClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part));
  } catch {
    return null;
  }
}
session.claims = session.token ? decodeClaims(session.token) : null;

export async function signIn(username, password) {
  const answer = await fetch("/api/v1/auth/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (!answer.ok) throw await refusal(answer);
  const { access_token: token } = await answer.json();
  session.token = token;
  session.claims = decodeClaims(token);
  sessionStorage.setItem(TOKEN_KEY, token);
  return session.claims;
}

export function signOut() {
  session.token = null;
  session.claims = null;
  sessionStorage.removeItem(TOKEN_KEY);
}

/** FastAPI's two shapes: `{"detail": {"field", "reason"}}` (the service's refusals) and
 *  `{"detail": [{"loc": [...], "msg"}]}` (a malformed body); a bare string otherwise. */
async function refusal(answer) {
  let body = null;
  try {
    body = await answer.json();
  } catch {
    return new ApiError(answer.status, "request", `HTTP ${answer.status}`, null);
  }
  const detail = body?.detail;
  if (detail && typeof detail === "object" && !Array.isArray(detail)) {
    return new ApiError(answer.status, detail.field ?? "request", detail.reason ?? "", detail);
  }
  if (Array.isArray(detail) && detail.length) {
    const first = detail[0];
    const loc = (first.loc ?? []).filter((part) => part !== "body" && part !== "query" && part !== "path");
    return new ApiError(answer.status, loc.join(".") || "request", first.msg ?? "", detail);
  }
  return new ApiError(answer.status, "request", String(detail ?? `HTTP ${answer.status}`), detail);
}

/** `request("POST", "/users", {json})` under the current tenant's `/api/v1/tenants/{tenant}`;
 *  a path starting with `/api/` as given. `body` may be JSON, a Blob, or text. */
export async function request(method, path, { json, body, type, tenant, raw } = {}) {
  const headers = { Authorization: `Bearer ${session.token}` };
  let payload = body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(json);
  } else if (type) {
    headers["Content-Type"] = type;
  }
  const url = path.startsWith("/api/")
    ? path
    : `/api/v1/tenants/${encodeURIComponent(tenant ?? currentTenant())}${path}`;
  const answer = await fetch(url, { method, headers, body: payload });
  if (answer.status === 401) {
    signOut();
    session.onEnded();
  }
  if (!answer.ok) throw await refusal(answer);
  if (raw) return answer;
  if (answer.status === 204) return null;
  return answer.json();
}

let tenantOverride = null;
export function currentTenant() {
  return tenantOverride ?? session.claims?.tenant ?? "";
}
export function setTenant(tenant) {
  tenantOverride = tenant || null;
}
