// The audit log: who changed what and when, with the before/after of each change, newest
// first, a page at a time.

import { request } from "./api.js";
import { el, replace, table } from "./dom.js";
import { attempt, messageBox } from "./feedback.js";
import { t } from "./i18n.js";

const PAGE_SIZE = 25;

export async function render(container) {
  const box = messageBox();
  const list = el("div", { id: "audit-list" });
  let offset = 0;

  async function draw() {
    let page;
    if (!(await attempt(box, async () => { page = await request("GET", `/audit-log?limit=${PAGE_SIZE}&offset=${offset}`); }))) return;
    const json = (value) => (value === null ? "" : JSON.stringify(value));
    const last = Math.min(page.offset + page.items.length, page.total);
    replace(list,
      table([t("at"), t("actor"), t("entity"), t("key"), t("action"), t("before"), t("after")],
        page.items.map((e) => el("tr", { dataset: { entity: e.entity, key: e.key } },
          el("td", {}, new Date(e.at).toLocaleString()), el("td", {}, e.actor), el("td", {}, e.entity),
          el("td", {}, e.key), el("td", {}, e.action),
          el("td", { class: "json" }, json(e.before)), el("td", { class: "json" }, json(e.after)))),
        { id: "audit-table" }),
      el("div", { class: "pager" },
        el("button", { type: "button", disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - PAGE_SIZE); draw(); } }, t("previous")),
        el("span", {}, t("pageOf", { from: page.total ? page.offset + 1 : 0, to: last, total: page.total })),
        el("button", { type: "button", disabled: last >= page.total, onclick: () => { offset += PAGE_SIZE; draw(); } }, t("next"))));
  }

  container.append(el("h2", {}, t("navAudit")), box, list);
  await draw();
}
