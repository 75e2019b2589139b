// Weekly schedules (opening intervals per weekday; overlaps are refused by the API) and holiday
// calendars (a country's public holidays plus the company's own days), each created or
// replaced by name; a calendar's days of a year can be looked at before a call center uses it.

import { request } from "./api.js";
import { el, field, formValues, replace, select, table } from "./dom.js";
import { attempt, done, messageBox } from "./feedback.js";
import { t } from "./i18n.js";

export async function render(container) {
  const box = messageBox();
  const list = el("div", { id: "schedule-list" });
  const weekly = weeklyForm(box, () => draw());
  const holidays = holidayForm(box, () => draw());

  async function draw() {
    let all;
    if (!(await attempt(box, async () => { all = await request("GET", "/schedules"); }))) return;
    replace(list, table([t("name"), ""], all.map((s) => el("tr", { dataset: { kind: s.kind, name: s.name } },
      el("td", {}, `${s.name} (${s.kind === "weekly" ? t("weekly") : t("holidayCalendars")})`),
      el("td", {}, el("button", { type: "button", class: "open", onclick: () => (s.kind === "weekly" ? weekly : holidays).load(s) }, t("edit"))))),
    { id: "schedules-table" }));
  }

  container.append(el("h2", {}, t("navSchedules")), box, list,
    el("section", {}, el("h3", {}, t("weekly")), weekly.form),
    el("section", {}, el("h3", {}, t("holidayCalendars")), holidays.form, holidays.days));
  await draw();
}

function weeklyForm(box, redraw) {
  const rows = el("tbody", { id: "interval-rows" });
  const dayOptions = () => t("days").map((day, index) => [String(index), day]);
  function addRow(interval = { weekday: 0, start: "08:00", end: "17:00" }) {
    const row = el("tr", { class: "interval" },
      el("td", {}, select("weekday", dayOptions(), String(interval.weekday))),
      el("td", {}, el("input", { type: "time", name: "start", value: interval.start.slice(0, 5), "aria-label": t("start") })),
      el("td", {}, el("input", { type: "time", name: "end", value: interval.end.slice(0, 5), "aria-label": t("end") })),
      el("td", {}, el("button", { type: "button", class: "remove", onclick: () => row.remove() }, t("remove"))));
    rows.append(row);
  }
  const form = el("form", { id: "weekly-form" },
    field(t("name"), el("input", { name: "name", required: true, pattern: "[A-Za-z0-9-]+" })),
    field(t("timezone"), el("input", { name: "timezone", value: "Europe/Amsterdam" })),
    el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, t("weekday")), el("th", {}, t("start")), el("th", {}, t("end")), el("th", {}))), rows),
    el("div", { class: "buttons" },
      el("button", { type: "button", id: "interval-add", onclick: () => addRow() }, t("addInterval")),
      el("button", { type: "submit", id: "weekly-save", class: "primary" }, t("save"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { name, timezone } = formValues(form);
    const hours = [...rows.querySelectorAll("tr")].map((row) => ({
      weekday: Number(row.querySelector("[name=weekday]").value),
      start: row.querySelector("[name=start]").value,
      end: row.querySelector("[name=end]").value,
    }));
    const path = `/schedules/${encodeURIComponent(name)}`;
    if (await attempt(box, () => request("PUT", path, { json: { timezone, hours } }), form)) {
      done(box, t("saved"));
      await redraw();
    }
  });
  return {
    form,
    load(schedule) {
      form.elements.name.value = schedule.name;
      form.elements.timezone.value = schedule.data.timezone;
      rows.replaceChildren();
      for (const interval of schedule.data.hours) addRow(interval);
    },
  };
}

function holidayForm(box, redraw) {
  const days = el("div", { id: "holiday-days" });
  const form = el("form", { id: "holiday-form" },
    field(t("name"), el("input", { name: "name", required: true, pattern: "[A-Za-z0-9-]+" })),
    field(t("country"), el("input", { name: "country", value: "NL", size: 4 })),
    field(t("extraDates"), el("input", { name: "extra_dates", size: 40 })),
    field(t("year"), el("input", { name: "year", type: "number", value: new Date().getFullYear() })),
    el("div", { class: "buttons" },
      el("button", { type: "submit", id: "holiday-save", class: "primary" }, t("save")),
      el("button", { type: "button", id: "holiday-days-show", onclick: () => showDays() }, t("showDays"))));
  async function showDays() {
    const { name, year } = formValues(form);
    if (!name) return;
    await attempt(box, async () => {
      const list = await request("GET", `/holiday-calendars/${encodeURIComponent(name)}/days?year=${encodeURIComponent(year)}`);
      replace(days, table([t("at"), t("name")], list.map((d) => el("tr", {}, el("td", {}, d.day), el("td", {}, d.name))), { id: "holiday-days-table" }));
    }, form);
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = formValues(form);
    const extra = (v.extra_dates ?? "").split(",").map((d) => d.trim()).filter(Boolean);
    const body = { country: v.country ?? null, extra_dates: extra };
    if (await attempt(box, () => request("PUT", `/holiday-calendars/${encodeURIComponent(v.name)}`, { json: body }), form)) {
      done(box, t("saved"));
      await redraw();
      await showDays();
    }
  });
  return {
    form,
    days,
    load(calendar) {
      form.elements.name.value = calendar.name;
      form.elements.country.value = calendar.data.country ?? "";
      form.elements.extra_dates.value = (calendar.data.extra_dates ?? []).join(", ");
      showDays();
    },
  };
}
