// Conference rooms ("Groepsgesprek"): the tenant's rooms with their PINs, cap and prompt
// language, and the licence of places they share; add and delete a room (docs/conference.md).

import { request } from "./api.js";
import { el, field, formValues, replace, select, table } from "./dom.js";
import { attempt, done, messageBox } from "./feedback.js";
import { t } from "./i18n.js";

export async function render(container) {
  const box = messageBox();
  const licence = el("p", { id: "room-licence" });
  const list = el("div", { id: "rooms-list" });
  const form = el("form", { id: "room-form", class: "inline" },
    field(t("number"), el("input", { name: "number", placeholder: "8200", required: true })),
    field(t("name"), el("input", { name: "name", required: true })),
    field(t("pin"), el("input", { name: "pin", inputmode: "numeric", required: true })),
    field(t("moderatorPin"), el("input", { name: "moderator_pin", inputmode: "numeric", required: true })),
    field(t("maxParticipants"), el("input", { name: "max_participants", type: "number", min: 2, value: 10, required: true })),
    field(t("language"), select("language", [["nl", "Nederlands"], ["en", "English"]], "nl")),
    el("button", { type: "submit", id: "room-add" }, t("add")));

  async function draw() {
    await attempt(box, async () => {
      const [rooms, { participants }] = await Promise.all([
        request("GET", "/conference-rooms"), request("GET", "/conference-licence")]);
      replace(licence, t("roomLicence", { places: participants }));
      replace(list, table(
        [t("number"), t("name"), t("pin"), t("moderatorPin"), t("maxParticipants"), t("language"), ""],
        rooms.map((r) => el("tr", { dataset: { number: r.number } },
          el("td", {}, r.number), el("td", {}, r.name), el("td", {}, r.pin),
          el("td", {}, r.moderator_pin), el("td", {}, String(r.max_participants)), el("td", {}, r.language),
          el("td", {}, el("button", { type: "button", class: "remove", onclick: () => remove(r.number) }, t("delete"))))),
        { id: "rooms-table" }));
    });
  }

  async function remove(number) {
    if (await attempt(box, () => request("DELETE", `/conference-rooms/${encodeURIComponent(number)}`))) {
      done(box, t("deleted"));
      await draw();
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = formValues(form);
    const room = { ...v, max_participants: Number(v.max_participants) };
    if (await attempt(box, () => request("POST", "/conference-rooms", { json: room }), form)) {
      done(box, t("saved"));
      form.reset();
      await draw();
    }
  });
  container.append(el("h2", {}, t("navRooms")), box, el("p", {}, t("roomsHelp")), licence, list, form);
  await draw();
}
