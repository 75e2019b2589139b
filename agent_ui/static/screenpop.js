// The screen pop: the CRM card shown on an offered call (name, company, kind, link to the CRM).

import { el, safeUrl } from "./dom.js";
import { t } from "./i18n.js";

function initials(name) {
  const words = String(name || "?").trim().split(/\s+/).filter(Boolean);
  return (words.slice(0, 2).map((w) => w[0]).join("") || "?").toUpperCase();
}

/** The card for a call's CRM records: the first is the caller; a record of kind account or
 * company is shown as the caller's company; the rest are counted. */
export function screenPopCard(records) {
  const list = records || [];
  if (!list.length) {
    return el("div", { class: "pop pop-empty" }, el("p", { class: "muted" }, t("pop.none")));
  }
  const [first, ...others] = list;
  const company = others.find((r) => /^(account|company)$/i.test(r.kind || ""));
  const rest = others.filter((r) => r !== company);
  const url = safeUrl(first.url);
  const kindKey = `pop.kind.${String(first.kind || "contact").toLowerCase()}`;
  const kindText = t(kindKey) === kindKey ? String(first.kind || "") : t(kindKey);
  return el(
    "div",
    { class: "pop", "aria-label": t("pop.heading") },
    el("div", { class: "pop-avatar", "aria-hidden": "true" }, initials(first.name)),
    el(
      "div",
      { class: "pop-body" },
      el("div", { class: "pop-name" }, first.name || ""),
      el(
        "div",
        { class: "pop-meta" },
        company ? el("span", { class: "pop-company" }, company.name || "") : null,
        el("span", { class: "pop-kind" }, kindText),
        el("span", { class: "pop-crm" }, first.crm || ""),
      ),
      url
        ? el(
            "a",
            { class: "pop-link", href: url, target: "_blank", rel: "noopener noreferrer", dataset: { key: `pop-${first.recordId}` } },
            t("pop.open", { crm: first.crm || "CRM" }),
          )
        : el("span", { class: "pop-url" }, first.url || ""),
      rest.length ? el("div", { class: "muted pop-more" }, t("pop.more", { count: rest.length })) : null,
    ),
  );
}
