// Users: a page at a time; add, edit (profile, roles, licences), reset the web and SIP
// passwords, delete (the API's refusal or buyout shown before anything happens).

import { ApiError, request } from "./api.js";
import { ask, openDialog } from "./dialogs.js";
import { el, field, formValues, replace, select, table } from "./dom.js";
import { attempt, done, messageBox } from "./feedback.js";
import { t } from "./i18n.js";

const PAGE_SIZE = 20;
export const PROFILES = ["vergaderzaal", "kantoor", "onderweg-bundel", "onderweg-onbeperkt", "overal"];
const ROLES = ["agent", "supervisor", "admin"];
const TIERS = ["basic", "standard", "premium"];
const RECORDING = ["always", "on_demand", "never"];
let offset = 0;

export async function render(container) {
  const box = messageBox();
  const list = el("div", { id: "user-list" });
  container.append(
    el("h2", {}, t("navUsers")),
    el("button", { type: "button", id: "add-user", class: "primary", onclick: () => editUser(null, box, list) }, t("addUser")),
    box,
    list,
  );
  await drawList(list, box);
}

async function drawList(list, box) {
  let page;
  if (!(await attempt(box, async () => { page = await request("GET", `/users?limit=${PAGE_SIZE}&offset=${offset}`); }))) return;
  const rows = page.items.map((user) => el("tr", { dataset: { username: user.username } },
    el("td", {}, user.username),
    el("td", {}, user.name),
    el("td", {}, user.extension),
    el("td", {}, user.profile),
    el("td", {}, user.roles.join(", ")),
    el("td", {}, licenceText(user.licences)),
    el("td", {}, user.web_sign_in ? t("yes") : t("no")),
    el("td", { class: "actions" },
      el("button", { type: "button", class: "edit", onclick: () => editUser(user, box, list) }, t("edit")),
      el("button", { type: "button", class: "reset", onclick: () => resetPasswords(user, box, list) }, t("resetPasswords")),
      el("button", { type: "button", class: "delete danger", onclick: () => deleteUser(user, box, list) }, t("delete"))),
  ));
  const last = Math.min(page.offset + page.items.length, page.total);
  const pager = el("div", { class: "pager" },
    el("button", { type: "button", id: "page-previous", disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - PAGE_SIZE); drawList(list, box); } }, t("previous")),
    el("span", { id: "page-position" }, t("pageOf", { from: page.total ? page.offset + 1 : 0, to: last, total: page.total })),
    el("button", { type: "button", id: "page-next", disabled: last >= page.total, onclick: () => { offset += PAGE_SIZE; drawList(list, box); } }, t("next")),
  );
  replace(list,
    table([t("username"), t("name"), t("extension"), t("profile"), t("roles"), t("licences"), t("webSignIn"), ""], rows, { id: "users-table" }),
    pager);
}

function licenceText(licences) {
  const parts = [];
  if (licences.call_center) parts.push(`cc:${licences.call_center}`);
  if (licences.supervisor) parts.push("supervisor");
  if (licences.receptionist) parts.push(`receptionist:${licences.receptionist}`);
  if (licences.recording) parts.push(`rec:${licences.recording}`);
  return parts.join(", ");
}

const optional = (values) => [["", t("none")], ...values.map((v) => [v, v])];

function userForm(user) {
  const roles = new Set(user?.roles ?? ["agent"]);
  const licences = user?.licences ?? {};
  return el("form", { class: "user-form", method: "dialog" },
    field(t("username"), el("input", { name: "username", value: user?.username ?? "", disabled: Boolean(user), required: true })),
    field(t("name"), el("input", { name: "name", value: user?.name ?? "", required: true })),
    field(t("extension"), el("input", { name: "extension", value: user?.extension ?? "", inputmode: "numeric", required: true })),
    field(t("webPassword"), el("input", { name: "password", type: "password", autocomplete: "new-password", required: !user })),
    field(t("sipPassword"), el("input", { name: "sip_password", type: "password", autocomplete: "new-password", required: !user })),
    field(t("profile"), select("profile", PROFILES.map((p) => [p, p]), user?.profile ?? "kantoor")),
    field(t("language"), select("language", [["nl", "Nederlands"], ["en", "English"]], user?.language ?? "nl")),
    el("fieldset", { name: "roles" }, el("legend", {}, t("roles")),
      ROLES.map((role) => el("label", {}, el("input", { type: "checkbox", name: `role-${role}`, checked: roles.has(role) }), ` ${role}`))),
    el("fieldset", { name: "licences" }, el("legend", {}, t("licences")),
      field(t("callCenterTier"), select("call_center", optional(TIERS), licences.call_center ?? "")),
      el("label", {}, el("input", { type: "checkbox", name: "supervisor", checked: Boolean(licences.supervisor) }), ` ${t("supervisorLicence")}`),
      field(t("receptionist"), select("receptionist", optional(TIERS), licences.receptionist ?? "")),
      field(t("recording"), select("recording", optional(RECORDING), licences.recording ?? ""))),
  );
}

function bodyOf(form) {
  const v = formValues(form);
  return {
    username: v.username,
    name: v.name,
    extension: v.extension,
    password: v.password,
    sip_password: v.sip_password,
    profile: v.profile,
    language: v.language,
    roles: ROLES.filter((role) => v[`role-${role}`]),
    licences: {
      call_center: v.call_center ?? null,
      supervisor: Boolean(v.supervisor),
      receptionist: v.receptionist ?? null,
      recording: v.recording ?? null,
    },
  };
}

function editUser(user, box, list) {
  const form = userForm(user);
  const dialogBox = messageBox();
  form.append(dialogBox, el("div", { class: "buttons" },
    el("button", { type: "submit", class: "primary", id: "user-save" }, t("save")),
    el("button", { type: "button", onclick: () => dialog.close() }, t("cancel"))));
  const dialog = openDialog(user ? t("editUser", { name: user.name }) : t("addUser"), form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = bodyOf(form);
    const saved = await attempt(dialogBox, async () => {
      if (user) {
        const { username, ...changes } = body;
        for (const key of ["password", "sip_password"]) if (!changes[key]) delete changes[key];
        if (changes.extension === user.extension) delete changes.extension;
        await patchUser(user.username, changes);
      } else {
        await request("POST", "/users", { json: body });
      }
    }, form);
    if (saved) {
      dialog.close();
      done(box, t("saved"));
      await drawList(list, box);
    }
  });
}

/** PATCH a user; a downgrade beyond the free share asks to confirm its buyout first. */
async function patchUser(username, changes) {
  const path = `/users/${encodeURIComponent(username)}`;
  try {
    await request("PATCH", path, { json: changes });
  } catch (error) {
    if (!(await confirmedBuyout(error))) throw error;
    await request("PATCH", path, { json: { ...changes, confirm_buyout: true } });
  }
}

async function confirmedBuyout(error) {
  const cents = error instanceof ApiError ? error.detail?.buyout_cents : undefined;
  return cents !== undefined && (await ask(t("confirmBuyout", { amount: (cents / 100).toFixed(2) })));
}

function resetPasswords(user, box, list) {
  const form = el("form", { class: "reset-form", method: "dialog" },
    field(t("webPassword"), el("input", { name: "password", type: "password", autocomplete: "new-password" })),
    field(t("sipPassword"), el("input", { name: "sip_password", type: "password", autocomplete: "new-password" })));
  const dialogBox = messageBox();
  form.append(dialogBox, el("div", { class: "buttons" },
    el("button", { type: "submit", class: "primary", id: "reset-save" }, t("save")),
    el("button", { type: "button", onclick: () => dialog.close() }, t("cancel"))));
  const dialog = openDialog(`${t("resetPasswords")}: ${user.name}`, form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const changes = formValues(form);
    if (await attempt(dialogBox, () => patchUser(user.username, changes), form)) {
      dialog.close();
      done(box, t("saved"));
      await drawList(list, box);
    }
  });
}

async function deleteUser(user, box, list) {
  if (!(await ask(t("confirmDelete", { name: `${user.name} (${user.username})` })))) return;
  const path = `/users/${encodeURIComponent(user.username)}`;
  const deleted = await attempt(box, async () => {
    try {
      await request("DELETE", path);
    } catch (error) {
      if (!(await confirmedBuyout(error))) throw error;
      await request("DELETE", `${path}?confirm_buyout=true`);
    }
  });
  if (deleted) {
    done(box, t("deleted"));
    await drawList(list, box);
  }
}
