// Flexplek (hoteling): the tenant's host phones, who sits at each and until when; make a user a
// host, sign a guest out, end a host (docs/hoteling.md).

import { request } from "./api.js";
import { el, field, formValues, replace, table } from "./dom.js";
import { attempt, done, messageBox } from "./feedback.js";
import { t } from "./i18n.js";

const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");

export async function render(container) {
  const box = messageBox();
  const list = el("div", { id: "hoteling-list" });
  const form = el("form", { id: "host-form", class: "inline" },
    field(t("extension"), el("input", { name: "extension", placeholder: "1010", required: true })),
    field(t("maxMinutes"), el("input", { name: "max_minutes", type: "number", min: 15, max: 1440, value: 720, required: true })),
    el("button", { type: "submit", id: "host-add" }, t("makeHost")));

  async function act(method, path) {
    if (await attempt(box, () => request(method, path))) {
      done(box, t("saved"));
      await draw();
    }
  }

  async function draw() {
    await attempt(box, async () => {
      const { hosts } = await request("GET", "/hoteling");
      replace(list, table(
        [t("extension"), t("name"), t("guest"), t("signedInAt"), t("until"), t("lockedUntil"), ""],
        hosts.map((h) => el("tr", { dataset: { extension: h.extension, guest: h.guest ?? "" } },
          el("td", {}, h.extension), el("td", {}, h.name),
          el("td", { class: "guest" }, h.guest ? `${h.guest} ${h.guest_name ?? ""}` : t("free")),
          el("td", {}, when(h.signed_in_at)), el("td", {}, when(h.expires_at)), el("td", {}, when(h.locked_until)),
          el("td", {},
            el("button", { type: "button", class: "sign-out", disabled: !h.guest, onclick: () => act("POST", `/hoteling/${h.extension}/sign-out`) }, t("signGuestOut")),
            el("button", { type: "button", class: "remove", onclick: () => act("DELETE", `/hoteling/${h.extension}`) }, t("delete"))))),
        { id: "hoteling-table" }));
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = formValues(form);
    const put = () => request("PUT", `/hoteling/${encodeURIComponent(v.extension)}`, { json: { max_minutes: Number(v.max_minutes) } });
    if (await attempt(box, put, form)) {
      done(box, t("saved"));
      form.elements.extension.value = "";  // the longest time stays for the next host
      await draw();
    }
  });
  container.append(el("h2", {}, t("navHoteling")), box, el("p", {}, t("hotelingHelp")), list, form);
  await draw();
}
