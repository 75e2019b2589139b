// Numbers: the tenant's number blocks (1, 10 or 100 numbers) and its direct numbers with the
// destination each rings (a user's extension, or a call center's, hunt group's or menu's number).

import { request } from "./api.js";
import { el, field, formValues, replace, select, table } from "./dom.js";
import { attempt, done, messageBox } from "./feedback.js";
import { t } from "./i18n.js";

export async function render(container) {
  const box = messageBox();
  const blocks = el("div", { id: "blocks" });
  const numbers = el("div", { id: "direct-numbers" });
  const blockForm = el("form", { id: "block-form", class: "inline" },
    field(t("first"), el("input", { name: "first", placeholder: "+31205550100", required: true })),
    field(t("size"), select("size", [["1", "1"], ["10", "10"], ["100", "100"]], "10")),
    el("button", { type: "submit", id: "block-add" }, t("addBlock")));
  const numberForm = el("form", { id: "number-form", class: "inline" },
    field(t("number"), el("input", { name: "number", placeholder: "+31205550101", required: true })),
    field(t("destination"), el("input", { name: "destination", placeholder: "1001", required: true })),
    el("button", { type: "submit", id: "number-add" }, t("assign")));

  async function draw() {
    await attempt(box, async () => {
      const [blockList, numberList] = await Promise.all([request("GET", "/number-blocks"), request("GET", "/numbers")]);
      replace(blocks, table([t("first"), t("last"), t("size")],
        blockList.map((b) => el("tr", {}, el("td", {}, b.first), el("td", {}, b.last), el("td", {}, b.size))), { id: "blocks-table" }));
      replace(numbers, table([t("number"), t("destination")],
        numberList.map((n) => el("tr", {}, el("td", {}, n.number), el("td", {}, n.destination))), { id: "numbers-table" }));
    });
  }

  blockForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = formValues(blockForm);
    if (await attempt(box, () => request("POST", "/number-blocks", { json: { first: v.first, size: Number(v.size) } }), blockForm)) {
      done(box, t("saved"));
      blockForm.reset();
      await draw();
    }
  });
  numberForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (await attempt(box, () => request("POST", "/numbers", { json: formValues(numberForm) }), numberForm)) {
      done(box, t("saved"));
      numberForm.reset();
      await draw();
    }
  });
  container.append(el("h2", {}, t("navNumbers")), box,
    el("section", {}, el("h3", {}, t("blocks")), blocks, blockForm),
    el("section", {}, el("h3", {}, t("directNumbers")), numbers, numberForm));
  await draw();
}
