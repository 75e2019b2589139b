// The agent desktop's entry point (index.html loads only this module). Data comes from the public
// API only: the token from REST, the snapshot from GraphQL queries, and every later change from
// GraphQL subscriptions (own state, own calls with screen pop, queue events of the joined call
// centers). No polling. Which module does what: docs/agent_ui.md.

import { setState } from "./commands.js";
import { wireContactsTab } from "./contacts.js";
import { startDesk } from "./desk.js";
import { onDialSubmit } from "./dialer.js";
import { $ } from "./dom.js";
import { toast } from "./feedback.js";
import { detectLanguage, language, setLanguage, t } from "./i18n.js";
import { onKeyDown, setupTabs } from "./keyboard.js";
import { renderAll } from "./page.js";
import { setupServices } from "./services.js";
import { setupSoftphone, stopSoftphone } from "./softphone.js";
import { logout, onLoginSubmit, showLogin, storeToken, storedToken } from "./session.js";
import { S, setConfig } from "./state.js";
import { tick } from "./statebar.js";
import { onTransferSubmit } from "./transfer.js";
import { wireVoicemailTab } from "./voicemail.js";

/** Read the client's settings (agent_ui.AgentUiConfig). The client keeps no copy of them, so it
 * waits for the server, saying so where the agent would sign in, and tries again (1 s doubling to
 * 10 s) until it answers. */
async function loadConfig() {
  for (let delayMs = 1000; ; delayMs = Math.min(delayMs * 2, 10000)) {
    try {
      const response = await fetch("./config.json", { headers: { Accept: "application/json" } });
      if (response.ok) {
        setConfig(await response.json());
        $("login-submit").disabled = false;
        return;
      }
    } catch (_) {
      /* unreachable: tried again below */
    }
    $("login-view").hidden = false;
    $("login-submit").disabled = true;
    $("login-error").textContent = t("login.unreachable");
    $("login-error").hidden = false;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

/** The browser phone's keypad outside a call types into the dial box. */
function typeIntoDialBox(key) {
  const input = $("dial-input");
  input.value += key;
  input.focus();
}

function wire() {
  $("login-form").addEventListener("submit", onLoginSubmit);
  $("logout-button").addEventListener("click", stopSoftphone);
  $("logout-button").addEventListener("click", logout);
  $("help-button").addEventListener("click", () => $("help-dialog").showModal());
  $("help-close").addEventListener("click", () => $("help-dialog").close());
  $("btn-available").addEventListener("click", () => setState("AVAILABLE"));
  $("btn-sign-in").addEventListener("click", () => setState("SIGN_IN"));
  $("btn-unavailable").addEventListener("click", () => setState("UNAVAILABLE", $("reason-select").value));
  $("btn-sign-out").addEventListener("click", () => setState("SIGN_OUT"));
  $("dial-form").addEventListener("submit", onDialSubmit);
  $("transfer-form").addEventListener("submit", onTransferSubmit);
  $("transfer-cancel").addEventListener("click", () => $("transfer-dialog").close());
  document.addEventListener("keydown", onKeyDown);
  setupTabs();
  wireVoicemailTab();
  wireContactsTab();
  setupServices();
  setupSoftphone({ token: () => S.token, language, toast, typeDigit: typeIntoDialBox });
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
