// The contacts in the console's search (docs/receptionist.md): under the colleagues, the
// company-directory contacts and the receptionist's own personal contacts (synced CardDAV and
// Microsoft Graph ones included) whose name, company, e-mail or number matches, from the
// server (`GET /api/v1/contacts?q=`, docs/contacts.md). Each number can be called (the dial box:
// the browser phone, else click-to-dial) or receive the receptionist's call (the console's
// blind transfer, handed in by app.js). Its words are its own (Dutch and English).

import { call } from "./api.js";
import { dial } from "./dialbox.js";
import { language } from "./i18n.js";

const LIMIT = 20;
const WORDS = {
  nl: { title: "Contacten", company: "bedrijf", personal: "eigen", call: "Bellen",
        transfer: "Doorverbinden" },
  en: { title: "Contacts", company: "company", personal: "own", call: "Call",
        transfer: "Transfer" },
};
const word = (key) => (WORDS[language()] || WORDS.en)[key];
const list = document.getElementById("contact-results");
const title = document.getElementById("contacts-title");
let asked = 0; // typing searches at each key: only the latest answer is shown

function button(cls, text, onclick) {
  return Object.assign(document.createElement("button"), {
    type: "button", className: cls, textContent: text, onclick,
  });
}

function span(cls, text) {
  return Object.assign(document.createElement("span"), { className: cls, textContent: text });
}

function contactNode(contact, transferTo) {
  const item = document.createElement("li");
  item.className = "contact";
  item.dataset.id = String(contact.id);
  item.dataset.scope = contact.scope;
  const name = Object.assign(document.createElement("strong"), { textContent: contact.name });
  item.append(name, span("scope", word(contact.scope)));
  if (contact.company) item.append(span("company", contact.company));
  for (const number of contact.numbers) {
    const line = span("number", "");
    line.dataset.number = number;
    line.append(
      span("digits", number),
      button("call", word("call"), () => dial(number)),
      button("transfer", word("transfer"), () => transferTo(number)),
    );
    item.append(line);
  }
  return item;
}

/** Show the contacts matching `q`; `transferTo(number)` hands the receptionist's call over. */
export async function showContacts(q, transferTo, onError) {
  const mine = ++asked;
  try {
    const query = new URLSearchParams({ q, limit: String(LIMIT) });
    const { items } = await call("GET", `/api/v1/contacts?${query}`);
    if (mine !== asked) return;
    title.textContent = word("title");
    title.hidden = list.hidden = items.length === 0;
    list.replaceChildren(...items.map((contact) => contactNode(contact, transferTo)));
  } catch (error) {
    if (mine === asked) onError(error);
  }
}
