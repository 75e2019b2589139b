// Signing in and out of the web client: the token from REST (kept in sessionStorage for the
// tab's life), the sign-in form, and the way back to it when the session ends.

import { NetworkError } from "./gql.js";
import { $ } from "./dom.js";
import { t } from "./i18n.js";
import { startDesk } from "./desk.js";
import { stopLive } from "./live.js";
import { S } from "./state.js";

const TOKEN_KEY = "opencc.agent.token";

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

export function storeToken(token, username) {
  S.token = token;
  S.username = username;
  try {
    if (token) window.sessionStorage.setItem(TOKEN_KEY, JSON.stringify({ token, username }));
    else window.sessionStorage.removeItem(TOKEN_KEY);
  } catch (_) {
    /* storage unavailable: the session lasts as long as the page */
  }
}

export function storedToken() {
  try {
    const raw = window.sessionStorage.getItem(TOKEN_KEY);
    return raw ? JSON.parse(raw) : null;
  } catch (_) {
    return null;
  }
}

export function showLogin(message) {
  stopLive();
  $("main-view").hidden = true;
  $("login-view").hidden = false;
  const error = $("login-error");
  error.hidden = !message;
  error.textContent = message || "";
  $("login-username").focus();
}

export function sessionEnded() {
  if (!S.token) return;
  storeToken(null, "");
  showLogin(t("login.expired"));
}

export function logout() {
  storeToken(null, "");
  S.me = null;
  showLogin("");
}

export async function onLoginSubmit(event) {
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
