// Conference rooms ("Groepsgesprek"): the tenant's rooms with their PINs, cap and prompt
// language, and the licence of places they share; add and delete a room; who is in each room
// now, asked again every few seconds while the page is open (docs/conference.md).

import { currentTenant, request, session } from "./api.js";
import { el, field, formValues, replace, select, table } from "./dom.js";
import { attempt, done, messageBox } from "./feedback.js";
import { t } from "./i18n.js";

const LIVE_EVERY_MS = 3000;

function who(participants) {
  if (!participants.length) return "—";
  return participants.map((p) => `${p.caller}${p.moderator ? ` (${t("moderator")})` : ""}`).join(", ");
}

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
        [t("number"), t("name"), t("pin"), t("moderatorPin"), t("maxParticipants"), t("language"), t("inTheRoom"), ""],
        rooms.map((r) => el("tr", { dataset: { number: r.number } },
          el("td", {}, r.number), el("td", {}, r.name), el("td", {}, r.pin),
          el("td", {}, r.moderator_pin), el("td", {}, String(r.max_participants)), el("td", {}, r.language),
          el("td", { class: "participants" }, "—"),
          el("td", {}, el("button", { type: "button", class: "remove", onclick: () => remove(r.number) }, t("delete"))))),
        { id: "rooms-table" }));
    });
  }

  // The participants endpoint answers for the signed-in user's own tenant only (an operator
  // looking at another tenant's rooms sees no list).
  async function live() {
    if (currentTenant() !== session.claims?.tenant) return;
    for (const row of list.querySelectorAll("tr[data-number]")) {
      const number = row.dataset.number;
      try {
        const found = await request("GET", `/api/v1/conference-rooms/${encodeURIComponent(number)}/participants`);
        replace(row.querySelector("td.participants"), who(found));
      } catch {
        // A room deleted meanwhile: the next draw drops its row.
      }
    }
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
  await live();
  const timer = setInterval(() => {
    if (!container.isConnected) clearInterval(timer);
    else live();
  }, LIVE_EVERY_MS);
}
