// CSV import: check the file first (dry run: every bad row with its line, field and reason),
// then import it - all rows or none.

import { ApiError, request } from "./api.js";
import { el, field, replace, table } from "./dom.js";
import { done, failed, messageBox, refused } from "./feedback.js";
import { t } from "./i18n.js";

export async function render(container) {
  const file = el("input", { type: "file", id: "csv-file", name: "file", accept: ".csv,text/csv" });
  const box = messageBox();
  const report = el("div", { id: "csv-report" });
  const importButton = el("button", { type: "button", id: "csv-import", class: "primary", disabled: true }, t("importNow"));
  const checkButton = el("button", { type: "button", id: "csv-check" }, t("dryRun"));
  let checked = null;

  async function send(dryRun) {
    const chosen = file.files[0];
    if (!chosen) return;
    replace(report);
    try {
      const answer = await request("POST", `/users/import?dry_run=${dryRun}`, { body: chosen, type: "text/csv" });
      if (answer.errors.length) {
        showErrors(report, answer.errors);
        failed(box, t("csvBad", { count: answer.errors.length }));
        importButton.disabled = true;
      } else if (dryRun) {
        done(box, t("csvOk", { rows: answer.rows }));
        checked = chosen;
        importButton.disabled = false;
      } else {
        done(box, t("csvImported", { imported: answer.imported }));
        importButton.disabled = true;
        if (answer.activations.length) showActivations(report, answer.activations);
      }
    } catch (error) {
      refused(box, error);
      if (error instanceof ApiError && Array.isArray(error.detail?.errors)) showErrors(report, error.detail.errors);
      importButton.disabled = true;
    }
  }

  file.addEventListener("change", () => {
    importButton.disabled = true;
    checked = null;
  });
  checkButton.addEventListener("click", () => send(true));
  importButton.addEventListener("click", () => file.files[0] === checked && send(false));
  container.append(
    el("h2", {}, t("navImport")),
    el("p", { class: "help" }, t("csvHelp")),
    field(t("csvFile"), file),
    el("div", { class: "buttons" }, checkButton, importButton),
    box,
    report,
  );
}

function showErrors(report, errors) {
  const rows = errors.map((e) => el("tr", { class: "bad-row" }, el("td", {}, e.line), el("td", {}, e.field), el("td", {}, e.reason)));
  replace(report, table([t("line"), t("field"), t("reason")], rows, { id: "csv-errors" }));
}

// The links are in the answer once (only their digests are stored): shown, and offered as a
// CSV file the admin hands out.
function showActivations(report, activations) {
  const rows = activations.map((a) => el("tr", {}, el("td", {}, a.username), el("td", {}, el("code", {}, a.link)), el("td", {}, a.expires_at)));
  const lines = ["username,link,expires_at", ...activations.map((a) => [a.username, a.link, a.expires_at].map(csvField).join(","))];
  const file = URL.createObjectURL(new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" }));
  replace(report,
    el("p", { class: "help" }, t("activationLinks")),
    el("a", { id: "activation-download", href: file, download: "activation-links.csv" }, t("downloadLinks")),
    table([t("username"), t("link"), t("expires")], rows, { id: "activation-links" }));
}

function csvField(value) {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
