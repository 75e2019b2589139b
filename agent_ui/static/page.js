// The whole page in the chosen language: the fixed texts of index.html (data-i18n*), the
// language switch, the reason picker, and every panel drawn again.

import { renderCalls, updateTitle } from "./calls.js";
import { renderColleagues } from "./colleagues.js";
import { renderContacts } from "./contacts.js";
import { $, el, replaceChildren } from "./dom.js";
import { renderHistory } from "./history.js";
import { LANGUAGES, codeLabel, language, setLanguage, t } from "./i18n.js";
import { renderHelp } from "./keyboard.js";
import { renderConnection } from "./live.js";
import { renderMemberships } from "./memberships.js";
import { renderQueues } from "./queues.js";
import { S } from "./state.js";
import { renderIdentity, renderState } from "./statebar.js";
import { renderVoicemail } from "./voicemail.js";

export function renderAll() {
  applyStaticTexts();
  renderIdentity();
  renderState();
  renderCalls();
  renderQueues();
  renderColleagues();
  renderHistory();
  renderContacts();
  renderMemberships();
  renderVoicemail();
  renderHelp();
  renderConnection();
}

function switchLanguage(lang) {
  setLanguage(lang, true);
  renderAll();
}

function applyStaticTexts() {
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  for (const node of document.querySelectorAll("[data-i18n-label]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  }
  updateTitle();
  for (const group of document.querySelectorAll(".lang-switch")) {
    replaceChildren(
      group,
      LANGUAGES.map((lang) =>
        el(
          "button",
          {
            type: "button",
            class: "lang",
            lang,
            "aria-pressed": String(lang === language()),
            dataset: { key: `lang-${lang}` },
            onclick: () => switchLanguage(lang),
          },
          lang.toUpperCase(),
        ),
      ),
    );
  }
  const select = $("reason-select");
  const chosen = select.value;
  replaceChildren(
    select,
    S.config.unavailableCodes.map((option) => el("option", { value: option.code }, codeLabel(option))),
  );
  if (chosen) select.value = chosen;
}
