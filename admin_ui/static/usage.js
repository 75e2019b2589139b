// Usage (seed 3.5.3 "Verbruik"): a month's billed (outbound) usage by category and profile, with
// a column per type: voice calls and minutes, SMS and data (empty until a mobile source
// exists), from the call-detail records; exported as CSV or XLSX by the reports API.

import { request } from "./api.js";
import { el, field, replace, table } from "./dom.js";
import { attempt, messageBox } from "./feedback.js";
import { t } from "./i18n.js";

const BY = "usage_type,category,profile";

function monthRange(month) {
  const [year, number] = month.split("-").map(Number);
  const next = number === 12 ? `${year + 1}-01` : `${year}-${String(number + 1).padStart(2, "0")}`;
  return { from: `${month}-01T00:00:00Z`, to: `${next}-01T00:00:00Z` };
}

/** One row per (category, profile), the types side by side. */
export function pivot(items) {
  const rows = new Map();
  for (const item of items) {
    const { usage_type: type, category, profile } = item.dimensions;
    const key = `${category}\u0000${profile ?? ""}`;
    const row = rows.get(key) ?? { category, profile: profile ?? "", calls: 0, seconds: 0, sms: 0, bytes: 0 };
    if (type === "voice") { row.calls += item.records; row.seconds += item.quantity; }
    else if (type === "sms") row.sms += item.records;
    else if (type === "data") row.bytes += item.quantity;
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => `${a.category}${a.profile}`.localeCompare(`${b.category}${b.profile}`));
}

async function download(range, format, box) {
  const query = new URLSearchParams({ report: "usage", format, by: BY, ...range });
  await attempt(box, async () => {
    const answer = await request("GET", `/api/v1/reports/export?${query}`, { raw: true });
    const link = el("a", { href: URL.createObjectURL(await answer.blob()), download: `usage-${range.from.slice(0, 7)}.${format}` });
    link.click();
    URL.revokeObjectURL(link.href);
  });
}

export async function render(container) {
  const box = messageBox();
  const month = el("input", { type: "month", name: "month", id: "usage-month", value: new Date().toISOString().slice(0, 7) });
  const list = el("div", { id: "usage-list" });

  async function draw() {
    const range = monthRange(month.value);
    let items;
    const query = new URLSearchParams({ by: BY, ...range });
    if (!(await attempt(box, async () => { items = await request("GET", `/api/v1/reports/usage?${query}`); }))) return;
    const rows = pivot(items);
    const minutes = (seconds) => {
      const whole = Math.round(seconds);
      return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
    };
    replace(list, rows.length === 0 ? el("p", { id: "usage-empty" }, t("usageEmpty")) :
      table([t("category"), t("profile"), t("voiceCalls"), t("voiceMinutes"), t("sms"), t("dataMb")],
        rows.map((r) => el("tr", { dataset: { category: r.category, profile: r.profile } },
          el("td", {}, t(`category_${r.category}`)), el("td", {}, r.profile), el("td", {}, r.calls),
          el("td", {}, minutes(r.seconds)), el("td", {}, r.sms || ""), el("td", {}, r.bytes ? (r.bytes / 1e6).toFixed(1) : ""))),
        { id: "usage-table" }));
  }

  month.addEventListener("change", draw);
  const exports = el("div", { class: "row" },
    el("button", { type: "button", id: "usage-csv", onclick: () => download(monthRange(month.value), "csv", box) }, t("exportCsv")),
    el("button", { type: "button", id: "usage-xlsx", onclick: () => download(monthRange(month.value), "xlsx", box) }, t("exportXlsx")));
  container.append(el("h2", {}, t("navUsage")), el("p", {}, t("usageHelp")), field(t("month"), month), exports, box, list);
  await draw();
}
