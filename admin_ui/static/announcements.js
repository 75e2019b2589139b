// Announcements: upload a WAV or MP3 under a name, listen to what callers will hear (fetched
// with the token, played from a blob: URL), delete; each shows the setting value that makes a
// call center play it and the call centers that do, and its number in the voice portal (the
// list is by name, the order the portal reads them out in: docs/voicemail.md), with how to
// record one by phone.

import { request } from "./api.js";
import { el, field, formValues, replace, table } from "./dom.js";
import { attempt, done, messageBox } from "./feedback.js";
import { t } from "./i18n.js";

export async function render(container) {
  const box = messageBox();
  const list = el("div", { id: "announcement-list" });
  const player = el("audio", { id: "announcement-player", controls: true, hidden: true });
  const form = el("form", { id: "announcement-form", class: "inline" },
    field(t("name"), el("input", { name: "name", required: true, pattern: "[a-z0-9][a-z0-9_-]*", maxlength: 64 })),
    field(t("audioFile"), el("input", { name: "audio", type: "file", accept: ".wav,.mp3,audio/wav,audio/mpeg", required: true })),
    el("button", { type: "submit", id: "announcement-upload", class: "primary" }, t("upload")));

  async function draw() {
    let all;
    if (!(await attempt(box, async () => { all = await request("GET", "/announcements"); }))) return;
    replace(list, table([t("phoneNumber"), t("name"), t("seconds"), t("reference"), t("usedBy"), t("uploadedBy"), ""],
      all.map((a, index) => el("tr", { dataset: { name: a.name } },
        el("td", { class: "phone-number" }, String(index + 1)),
        el("td", {}, a.name),
        el("td", {}, a.seconds.toFixed(1)),
        el("td", {}, el("code", {}, a.reference)),
        el("td", {}, a.used_by.join(", ")),
        el("td", {}, `${a.uploaded_by}, ${new Date(a.uploaded_at).toLocaleString()}`),
        el("td", { class: "actions" },
          el("button", { type: "button", class: "listen", onclick: () => listen(a.name) }, t("listen")),
          el("button", { type: "button", class: "delete danger", onclick: () => remove(a.name) }, t("delete"))))),
    { id: "announcements-table" }));
  }

  async function listen(name) {
    await attempt(box, async () => {
      const answer = await request("GET", `/announcements/${encodeURIComponent(name)}`, { raw: true });
      if (player.src) URL.revokeObjectURL(player.src);
      player.src = URL.createObjectURL(await answer.blob());
      player.dataset.name = name;
      player.hidden = false;
      await player.play().catch(() => {}); // autoplay may be refused: the controls remain
    });
  }

  async function remove(name) {
    if (await attempt(box, () => request("DELETE", `/announcements/${encodeURIComponent(name)}`))) {
      done(box, t("deleted"));
      await draw();
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { name } = formValues(form);
    const file = form.elements.audio.files[0];
    if (!file) return;
    const path = `/announcements/${encodeURIComponent(name)}`;
    if (await attempt(box, () => request("PUT", path, { body: file, type: file.type || "application/octet-stream" }), form)) {
      done(box, t("saved"));
      form.reset();
      await draw();
    }
  });
  const byPhone = el("p", { id: "announcement-record-by-phone" }, t("recordByPhoneHelp"));
  container.append(el("h2", {}, t("navAnnouncements")), box, form, byPhone, list, player);
  await draw();
}
