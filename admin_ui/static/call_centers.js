// Call centers: list and create; a call center's members (drag an agent in or out, or use the
// button beside it - the keyboard way) and its prompts (standard or one of the tenant's
// announcements). Every change is a PATCH the engine applies live.

import { request } from "./api.js";
import { el, field, formValues, replace, select, table } from "./dom.js";
import { attempt, done, messageBox } from "./feedback.js";
import { t } from "./i18n.js";

const TIERS = ["basic", "standard", "premium"];
const PROMPTS = [["entrance_message", "entrance"], ["comfort_message", "comfort"], ["music_on_hold", "musicOnHold"]];
const extensionOf = (member) => (typeof member === "string" ? member : member.extension);

export async function render(container) {
  const box = messageBox();
  const list = el("div", { id: "call-center-list" });
  const detail = el("section", { id: "call-center-detail" });
  const form = el("form", { id: "call-center-form", class: "inline" },
    field(t("number"), el("input", { name: "number", required: true, inputmode: "numeric" })),
    field(t("name"), el("input", { name: "name", required: true })),
    field(t("tier"), select("tier", TIERS.map((x) => [x, x]), "basic")),
    el("button", { type: "submit", id: "call-center-add" }, t("add")));

  async function draw(open = null) {
    let centers;
    if (!(await attempt(box, async () => { centers = await request("GET", "/call-centers"); }))) return;
    replace(list, table([t("number"), t("name"), t("tier"), t("members"), ""],
      centers.map((cc) => el("tr", { dataset: { number: cc.number } },
        el("td", {}, cc.number), el("td", {}, cc.name), el("td", {}, cc.tier),
        el("td", {}, (cc.settings.agents ?? []).length),
        el("td", {}, el("button", { type: "button", class: "open", onclick: () => showDetail(cc.number) }, t("open"))))),
      { id: "call-centers-table" }));
    if (open) await showDetail(open);
  }

  async function showDetail(number) {
    let cc, users, announcements;
    const loaded = await attempt(box, async () => {
      [cc, users, announcements] = await Promise.all([
        request("GET", `/call-centers/${encodeURIComponent(number)}`),
        request("GET", "/users?limit=500"),
        request("GET", "/announcements"),
      ]);
    });
    if (!loaded) return;
    detail.dataset.number = number;
    replace(detail, el("h3", {}, `${cc.number} ${cc.name} (${cc.tier})`),
      membersPanel(cc, users.items, box, () => draw(number)),
      promptsPanel(cc, announcements, box, () => draw(number)));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = formValues(form);
    if (await attempt(box, () => request("POST", "/call-centers", { json: { ...v, agents: [] } }), form)) {
      done(box, t("saved"));
      form.reset();
      await draw(v.number);
    }
  });
  container.append(el("h2", {}, t("callCenters")), box, list,
    el("h3", {}, t("newCallCenter")), form, detail);
  await draw();
}

function membersPanel(cc, users, box, redraw) {
  const members = cc.settings.agents ?? [];
  const inside = new Set(members.map(extensionOf));
  const names = Object.fromEntries(users.map((u) => [u.extension, u.name]));
  const others = users.filter((u) => u.licences.call_center && !inside.has(u.extension)).map((u) => u.extension);

  async function move(extension, toMembers) {
    const agents = toMembers
      ? [...members, extension]
      : members.filter((m) => extensionOf(m) !== extension);
    if (await attempt(box, () => request("PATCH", `/call-centers/${encodeURIComponent(cc.number)}`, { json: { agents } }))) {
      done(box, t("saved"));
      await redraw();
      document.querySelector(`.agent[data-extension="${CSS.escape(extension)}"] button`)?.focus();
    }
  }

  function agentItem(extension, isMember) {
    return el("li", {
      class: "agent", draggable: "true", dataset: { extension },
      ondragstart: (event) => {
        event.dataTransfer.setData("text/plain", extension);
        event.dataTransfer.effectAllowed = "move";
      },
    },
    el("span", {}, `${extension} ${names[extension] ?? ""}`),
    el("button", {
      type: "button",
      "aria-label": `${isMember ? t("moveOut") : t("moveIn")}: ${extension} ${names[extension] ?? ""}`,
      onclick: () => move(extension, !isMember),
    }, isMember ? t("moveOut") : t("moveIn")));
  }

  function dropList(id, title, extensions, isMembers) {
    const ul = el("ul", {
      id, class: "drop-list", "aria-label": title,
      ondragover: (event) => { event.preventDefault(); ul.classList.add("over"); },
      ondragleave: () => ul.classList.remove("over"),
      ondrop: (event) => {
        event.preventDefault();
        ul.classList.remove("over");
        const extension = event.dataTransfer.getData("text/plain");
        if (extension && inside.has(extension) !== isMembers) move(extension, isMembers);
      },
    }, extensions.map((x) => agentItem(x, isMembers)));
    return el("div", { class: "drop-column" }, el("h4", {}, title), ul);
  }

  return el("div", { class: "members" },
    el("p", { class: "help" }, t("dragHelp")),
    el("div", { class: "columns" },
      dropList("members-list", t("members"), members.map(extensionOf), true),
      dropList("others-list", t("otherAgents"), others, false)));
}

function promptsPanel(cc, announcements, box, redraw) {
  const media = cc.settings.media ?? {};
  const options = [["", t("standard")], ...announcements.map((a) => [a.reference, a.name])];
  const form = el("form", { id: "prompts-form", class: "inline" },
    PROMPTS.map(([setting, label]) => field(t(label), select(setting, options, media[setting] ?? ""))),
    el("button", { type: "submit", id: "prompts-save" }, t("save")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = formValues(form);
    // A merge patch: null puts a prompt back to the engine's standard one.
    const patch = Object.fromEntries(PROMPTS.map(([setting]) => [setting, values[setting] ?? null]));
    if (await attempt(box, () => request("PATCH", `/call-centers/${encodeURIComponent(cc.number)}`, { json: { media: patch } }), form)) {
      done(box, t("saved"));
      await redraw();
    }
  });
  return el("div", { class: "prompts" }, el("h4", {}, t("media")), form);
}
