// Start-up: sign in, the navigation between pages (by URL hash), the language switch. Each page
// module exports `render(container)`, drawing itself from the API.

import { currentTenant, session, setTenant, signIn, signOut } from "./api.js";
import { render as announcements } from "./announcements.js";
import { render as audit } from "./audit.js";
import { render as callCenters } from "./call_centers.js";
import { render as csvImport } from "./csv_import.js";
import { render as directory } from "./directory.js";
import { render as groups } from "./groups.js";
import { render as hoteling } from "./hoteling.js";
import { lang, setLang, t } from "./i18n.js";
import { render as numbers } from "./numbers.js";
import { render as rooms } from "./rooms.js";
import { render as schedules } from "./schedules.js";
import { render as tenants } from "./tenants.js";
import { render as usage } from "./usage.js";
import { render as users } from "./users.js";

const PAGES = {
  users,
  import: csvImport,
  numbers,
  "call-centers": callCenters,
  groups,
  rooms,
  directory,
  schedules,
  announcements,
  hoteling,
  audit,
  usage,
  tenants,
};
const ADMIN_ROLES = new Set(["admin", "operator"]);
const $ = (id) => document.getElementById(id);

function translateFixedTexts() {
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  document.title = t("title");
  $("lang-select").value = lang();
}

function showSignIn(reason = "") {
  $("portal").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in-view").hidden = false;
  $("who").textContent = "";
  $("login-error").textContent = reason;
}

function showPortal() {
  const claims = session.claims;
  if (!claims || !ADMIN_ROLES.has(claims.role)) {
    signOut();
    showSignIn(t("notAllowed"));
    return;
  }
  const operator = claims.role === "operator";
  $("sign-in-view").hidden = true;
  $("portal").hidden = false;
  $("sign-out").hidden = false;
  $("nav-tenants").hidden = !operator;
  $("tenant-pick").hidden = !operator;
  $("tenant-input").value = currentTenant();
  $("who").textContent = `${claims.sub} (${claims.role}) - ${currentTenant()}`;
  renderPage();
}

function pageName() {
  const name = window.location.hash.slice(1);
  return name in PAGES ? name : session.claims?.role === "operator" ? "tenants" : "users";
}

async function renderPage() {
  if (!session.token) return;
  const name = pageName();
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const container = $("page");
  container.replaceChildren();
  container.dataset.page = name;
  await PAGES[name](container);
}

function start() {
  setLang(lang());
  translateFixedTexts();
  session.onEnded = () => showSignIn();
  $("lang-select").addEventListener("change", (event) => {
    setLang(event.target.value);
    translateFixedTexts();
    renderPage();
  });
  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("login-error").textContent = "";
    try {
      await signIn($("login-username").value, $("login-password").value);
      $("login-password").value = "";
      showPortal();
    } catch (error) {
      $("login-error").textContent = t("error", { status: error.status, field: error.field, reason: error.reason });
    }
  });
  $("sign-out").addEventListener("click", () => {
    signOut();
    showSignIn();
  });
  $("tenant-input").addEventListener("change", (event) => {
    setTenant(event.target.value.trim());
    showPortal();
  });
  window.addEventListener("hashchange", renderPage);
  if (session.token) showPortal();
  else showSignIn();
}

start();
