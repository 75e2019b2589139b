// The contacts tab: the agent's own short list (kept in this browser's localStorage) and the
// queues of my call centers, each with a call button.

import { dialButton, isDialable, normalizeNumber } from "./dialer.js";
import { $, el, listRow, replaceChildren } from "./dom.js";
import { renderPending, toast } from "./feedback.js";
import { t } from "./i18n.js";
import { S } from "./state.js";

const CONTACTS_KEY = "opencc.agent.contacts";

function loadContacts() {
  try {
    const list = JSON.parse(window.localStorage.getItem(CONTACTS_KEY) || "[]");
    return Array.isArray(list) ? list.filter((c) => c && typeof c.number === "string") : [];
  } catch (_) {
    return [];
  }
}

function saveContacts(list) {
  try {
    window.localStorage.setItem(CONTACTS_KEY, JSON.stringify(list));
  } catch (_) {
    /* storage full or blocked */
  }
}

function contactRow(c, index) {
  const name = c.name || c.number;
  return listRow(
    {},
    name,
    c.number,
    dialButton(c.number, t("contacts.call", { name })),
    el(
      "button",
      {
        type: "button",
        class: "btn btn-small btn-ghost-dark",
        "aria-label": t("contacts.remove", { name }),
        dataset: { key: `crm-${index}` },
        onclick: () => {
          saveContacts(loadContacts().filter((_, i) => i !== index));
          renderContacts();
        },
      },
      "×",
    ),
  );
}

export function renderContacts() {
  const rows = loadContacts().map(contactRow);
  const queueRows = [...S.centers.values()].map((cc) =>
    listRow({}, cc.name, t("contacts.queue", { number: cc.number }), dialButton(cc.number, t("contacts.call", { name: cc.name }))),
  );
  replaceChildren($("contacts-list"), rows.length ? rows : el("li", { class: "empty" }, t("contacts.none")), queueRows);
  renderPending();
}

export function onContactSubmit(event) {
  event.preventDefault();
  const name = $("contact-name").value.trim();
  const number = normalizeNumber($("contact-number").value);
  if (!isDialable(number)) {
    toast(t("dial.invalid"), "error");
    return;
  }
  saveContacts([...loadContacts(), { name, number }]);
  $("contact-name").value = "";
  $("contact-number").value = "";
  renderContacts();
}
