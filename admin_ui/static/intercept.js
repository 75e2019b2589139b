// InterceptGroup (docs/group-services.md): the admin's switch that intercepts every call from
// outside to the tenant's numbers with a message, then the alternate number (or hang up); calls
// out are refused but 112. One form, one `PUT /intercept`; the next call follows it.

import { request } from "./api.js";
import { el, field, formValues, replace, select } from "./dom.js";
import { attempt, done } from "./feedback.js";
import { t } from "./i18n.js";

export async function interceptPanel(box) {
  const section = el("section", { id: "intercept" });
  let current;
  if (!(await attempt(box, async () => { current = await request("GET", "/intercept"); }))) return section;
  const form = el("form", { id: "intercept-form", class: "inline" },
    field(t("interceptOn"), el("input", { type: "checkbox", name: "enabled", checked: current.enabled })),
    field(t("interceptText"), el("input", { name: "text", value: current.text ?? "", size: 40 })),
    field(t("interceptAnnouncement"), el("input", { name: "announcement", value: current.announcement ?? "" })),
    field(t("language"), select("language", [["nl", "Nederlands"], ["en", "English"]], current.language)),
    field(t("interceptAlternate"), el("input", { name: "alternate", value: current.alternate ?? "" })),
    el("button", { type: "submit", id: "intercept-save" }, t("save")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (await attempt(box, () => request("PUT", "/intercept", { json: formValues(form) }), form)) {
      done(box, t("saved"));
    }
  });
  replace(section, el("h3", {}, t("intercept")), el("p", {}, t("interceptHelp")), form);
  return section;
}
