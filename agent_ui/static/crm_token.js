// The forwarding tab's "Salesforce softphone" section: the user makes, sees and revokes its own
// CRM tokens (`/api/v1/me/crm-tokens`, docs/crm.md). A token is bound to this user's extension
// and works only in the Salesforce Open CTI panel; it is shown once, right after it is made.

import { el, listRow, replaceChildren } from "./dom.js";
import { toast } from "./feedback.js";
import { language } from "./i18n.js";
import { restCall, texts } from "./rest.js";

const text = texts({
  nl: {
    title: "Salesforce-softphone",
    explain: "Een token voor het softphonepaneel in Salesforce: het belt alleen vanaf uw eigen toestel.",
    make: "Token maken",
    copy: "Kopieer het nu en plak het in het softphonepaneel; het wordt niet opnieuw getoond.",
    expires: "verloopt {date}",
    revoke: "Intrekken",
    revoked: "Token ingetrokken",
    failed: "Mislukt: {reason}",
  },
  en: {
    title: "Salesforce softphone",
    explain: "A token for the softphone panel in Salesforce: it dials from your own extension only.",
    make: "Make a token",
    copy: "Copy it now and paste it into the softphone panel; it is not shown again.",
    expires: "expires {date}",
    revoke: "Revoke",
    revoked: "Token revoked",
    failed: "Failed: {reason}",
  },
});

function request(method, path, body) {
  return restCall(method, `/api/v1/me/crm-tokens${path}`, body);
}

function row(token, section) {
  const date = new Date(token.expires_at * 1000).toLocaleDateString(language());
  const revoke = el("button", { type: "button", class: "btn", dataset: { key: `crm-${token.id}` } }, text("revoke"));
  revoke.addEventListener("click", async () => {
    try {
      await request("DELETE", `/${token.id}`);
      toast(text("revoked"), "info");
      await fill(section);
    } catch (error) {
      toast(text("failed", { reason: error.message }), "error");
    }
  });
  return listRow({}, token.name, text("expires", { date }), revoke);
}

async function fill(section, made = null) {
  const make = el("button", { type: "button", class: "btn", id: "crm-token-make" }, text("make"));
  make.addEventListener("click", async () => {
    try {
      await fill(section, await request("POST", "", { name: "Salesforce" }));
    } catch (error) {
      toast(text("failed", { reason: error.message }), "error");
    }
  });
  const shown = made
    ? el(
        "p",
        {},
        el("input", { id: "crm-token-value", readonly: true, size: "52", value: made.token }),
        el("br"),
        el("small", { class: "muted" }, text("copy")),
      )
    : null;
  const tokens = await request("GET", "");
  replaceChildren(
    section,
    el("h2", {}, text("title")),
    el("p", { class: "muted" }, text("explain")),
    el("ul", { id: "crm-token-list", class: "rows" }, tokens.map((token) => row(token, section))),
    make,
    shown,
  );
}

/** The section, filled once it has read the user's tokens (an account without an extension
 * gets the server's refusal when it tries to make one). */
export function crmTokenSection() {
  const section = el("section", { id: "crm-tokens" });
  fill(section).catch((error) => replaceChildren(section, el("p", { class: "muted" }, error.message)));
  return section;
}
