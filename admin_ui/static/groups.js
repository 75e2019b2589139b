// Hunt groups, auto attendants and fax numbers (docs/group-services.md): list, create, open one;
// a hunt group's members added and removed with buttons (live: the group's next offer uses
// them); any group's settings edited as JSON (menus, policy, forwarding, a fax's recipients).
// Changes apply to the next call.

import { request } from "./api.js";
import { el, field, formValues, replace, select, table } from "./dom.js";
import { attempt, done, failed, messageBox } from "./feedback.js";
import { t } from "./i18n.js";
import { interceptPanel } from "./intercept.js";

const KINDS = [
  ["hunt_group", "huntGroup"], ["auto_attendant", "autoAttendant"], ["instant_group", "instantGroup"],
  ["fax", "faxToMail"],
];
const WITH_MEMBERS = new Set(["hunt_group", "instant_group"]);
const STARTER = {
  hunt_group: { policy: "circular", members: [], ring_seconds: 15.0 },
  auto_attendant: { menus: { main: { text: "", options: [] } }, language: "nl" },
  instant_group: { members: [], ring_seconds: 20.0 },
  fax: { recipients: [], language: "nl" },
};
const path = (number) => `/groups/${encodeURIComponent(number)}`;

export async function render(container) {
  const box = messageBox();
  const list = el("div", { id: "group-list" });
  const detail = el("section", { id: "group-detail" });
  const form = el("form", { id: "group-form", class: "inline" },
    field(t("number"), el("input", { name: "number", required: true, inputmode: "numeric" })),
    field(t("name"), el("input", { name: "name", required: true })),
    field(t("kind"), select("kind", KINDS.map(([value, label]) => [value, t(label)]), "hunt_group")),
    field(t("faxRecipients"), el("input", { name: "recipients", type: "text" })),
    el("button", { type: "submit", id: "group-add" }, t("add")));

  async function draw(open = null) {
    let groups;
    if (!(await attempt(box, async () => { groups = await request("GET", "/groups"); }))) return;
    const kindName = Object.fromEntries(KINDS);
    replace(list, table([t("number"), t("name"), t("kind"), t("members"), ""],
      groups.map((g) => el("tr", { dataset: { number: g.number } },
        el("td", {}, g.number), el("td", {}, g.name), el("td", {}, t(kindName[g.kind])),
        el("td", {}, (g.settings.members ?? []).join(", ")),
        el("td", {}, el("button", { type: "button", class: "open", onclick: () => show(g.number) }, t("open"))))),
      { id: "groups-table" }));
    if (open) await show(open);
  }

  async function show(number) {
    let group, users;
    const loaded = await attempt(box, async () => {
      [group, users] = await Promise.all([request("GET", path(number)), request("GET", "/users?limit=500")]);
    });
    if (!loaded) return;
    detail.dataset.number = number;
    const redraw = () => draw(number);
    replace(detail, el("h3", {}, `${group.number} ${group.name}`),
      WITH_MEMBERS.has(group.kind) ? membersPanel(group, users.items, box, redraw) : "",
      settingsPanel(group, box, redraw));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = formValues(form);
    const body = { kind: v.kind, name: v.name, settings: STARTER[v.kind] };
    if (v.kind === "auto_attendant") body.settings = { ...body.settings, menus: { main: { text: v.name, options: [] } } };
    if (v.kind === "fax") {
      // The server checks each address (one plain address each, 1-20): its refusal names it.
      body.settings = { ...body.settings, recipients: v.recipients.split(",").map((a) => a.trim()).filter(Boolean) };
    }
    if (await attempt(box, () => request("PUT", path(v.number), { json: body }), form)) {
      done(box, t("saved"));
      form.reset();
      await draw(v.number);
    }
  });
  container.append(el("h2", {}, t("navGroups")), box, list, el("h3", {}, t("newGroup")), form, detail);
  await draw();
  container.append(await interceptPanel(box));
}

function membersPanel(group, users, box, redraw) {
  const members = group.settings.members ?? [];
  const names = Object.fromEntries(users.map((u) => [u.extension, u.name]));
  const others = users.map((u) => u.extension).filter((x) => !members.includes(x));
  const change = async (call) => {
    if (await attempt(box, call)) {
      done(box, t("saved"));
      await redraw();
    }
  };
  const addForm = el("form", { id: "member-form", class: "inline" },
    field(t("extension"), select("extension", others.map((x) => [x, `${x} ${names[x] ?? ""}`]), others[0])),
    el("button", { type: "submit", id: "member-add" }, t("add")));
  addForm.addEventListener("submit", (event) => {
    event.preventDefault();
    change(() => request("POST", `${path(group.number)}/members`, { json: formValues(addForm) }));
  });
  return el("div", { class: "members" },
    el("h4", {}, t("members")),
    el("ul", { id: "group-members" }, members.map((x) => el("li", { class: "member", dataset: { extension: x } },
      el("span", {}, `${x} ${names[x] ?? ""}`),
      el("button", {
        type: "button", "aria-label": `${t("remove")}: ${x}`,
        onclick: () => change(() => request("DELETE", `${path(group.number)}/members/${encodeURIComponent(x)}`)),
      }, t("remove"))))),
    addForm);
}

function settingsPanel(group, box, redraw) {
  const text = el("textarea", { name: "settings", id: "group-settings", rows: 16, cols: 80, spellcheck: "false" });
  text.value = JSON.stringify(group.settings, null, 2);
  const form = el("form", { id: "group-settings-form" }, field(t("settings"), text),
    el("button", { type: "submit", id: "group-save" }, t("save")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let settings;
    try {
      settings = JSON.parse(text.value);
    } catch (error) {
      failed(box, `${t("notJson")}: ${error.message}`);
      return;
    }
    const body = { kind: group.kind, name: group.name, settings };
    if (await attempt(box, () => request("PUT", path(group.number), { json: body }), form)) {
      done(box, t("saved"));
      await redraw();
    }
  });
  return el("div", { class: "settings" }, form);
}
