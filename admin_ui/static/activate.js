// The activation page: a user imported without a password sets its own with the link it was
// given (docs/provisioning.md, "Activation links"). The tenant and the token come from the
// link's fragment, which the browser never sends to a server; the page posts them once.

import { lang, setLang, t } from "./i18n.js";

const form = document.getElementById("activate-form");
const result = document.getElementById("activate-result");
const link = new URLSearchParams(location.hash.slice(1));
const tenant = link.get("tenant");
const token = link.get("token");

setLang(lang());
for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);

function show(text, ok) {
  result.textContent = text;
  result.className = ok ? "message ok" : "message error";
}

if (!tenant || !token) {
  show(t("activateNoLink"), false);
  form.querySelector("button").disabled = true;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const password = form.elements.password.value;
  if (password !== form.elements.again.value) {
    show(t("activateDiffer"), false);
    return;
  }
  const answer = await fetch("/api/v1/activation", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ tenant, token, password }),
  });
  const body = await answer.json().catch(() => ({}));
  if (answer.ok) {
    show(t("activateDone", { username: body.username }), true);
    form.querySelector("button").disabled = true;
    return;
  }
  const detail = body.detail ?? {};
  show(typeof detail === "object" && detail.reason ? `${detail.field}: ${detail.reason}` : `${answer.status}`, false);
});
