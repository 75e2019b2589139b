// The operator's view: a new tenant and its first admin in one form (two API calls: the
// tenant, then the admin user in it), then manage that tenant like its admin would.

import { request, setTenant } from "./api.js";
import { el, field, formValues, select } from "./dom.js";
import { attempt, done, messageBox } from "./feedback.js";
import { t } from "./i18n.js";
import { PROFILES } from "./users.js";

export async function render(container) {
  const box = messageBox();
  const form = el("form", { id: "tenant-form" },
    el("fieldset", {}, el("legend", {}, t("newTenant")),
      field(t("tenantId"), el("input", { name: "id", required: true, pattern: "[a-z0-9][a-z0-9-]*" })),
      field(t("name"), el("input", { name: "name", required: true })),
      field(t("sipDomain"), el("input", { name: "sip_domain", required: true })),
      field(t("contractProfiles"), el("input", { name: "contract_profiles", type: "number", value: "5", min: "5" })),
      field(t("language"), select("language", [["nl", "Nederlands"], ["en", "English"]], "nl"))),
    el("fieldset", {}, el("legend", {}, t("firstAdmin")),
      field(t("username"), el("input", { name: "username", required: true })),
      field(t("name"), el("input", { name: "admin_name", required: true })),
      field(t("extension"), el("input", { name: "extension", required: true, inputmode: "numeric" })),
      field(t("webPassword"), el("input", { name: "password", type: "password", autocomplete: "new-password", required: true })),
      field(t("sipPassword"), el("input", { name: "sip_password", type: "password", autocomplete: "new-password", required: true })),
      field(t("profile"), select("profile", PROFILES.map((p) => [p, p]), "kantoor"))),
    el("button", { type: "submit", id: "tenant-create", class: "primary" }, t("createTenant")));
  const manage = el("button", { type: "button", id: "tenant-manage", hidden: true }, t("manage"));

  let createdTenant = null; // made by an earlier try of this form whose admin was refused
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = formValues(form);
    const tenant = { id: v.id, name: v.name, sip_domain: v.sip_domain, language: v.language, contract_profiles: Number(v.contract_profiles) };
    const admin = {
      username: v.username, name: v.admin_name, extension: v.extension, password: v.password,
      sip_password: v.sip_password, profile: v.profile, roles: ["admin"], language: v.language,
    };
    const made = await attempt(box, async () => {
      if (createdTenant !== v.id) {
        await request("POST", "/api/v1/tenants", { json: tenant });
        createdTenant = v.id;
      }
      try {
        await request("POST", "/users", { json: admin, tenant: v.id });
      } catch (error) {
        if (error.field === "name") error.field = "admin_name";
        throw error;
      }
    }, form);
    if (made) {
      done(box, t("tenantMade", { tenant: v.id, admin: v.username }));
      manage.hidden = false;
      manage.onclick = () => {
        setTenant(v.id);
        document.getElementById("tenant-input").value = v.id;
        document.getElementById("tenant-input").dispatchEvent(new Event("change"));
        window.location.hash = "#users";
      };
    }
  });
  container.append(el("h2", {}, t("navTenants")), box, form, manage);
}
