// The console's words in Dutch and English; the language follows the browser until chosen.

const WORDS = {
  nl: {
    title: "Receptie", username: "Gebruikersnaam", password: "Wachtwoord", signIn: "Inloggen",
    signOut: "Uitloggen", monitored: "Collega's", directory: "Bedrijfstelefoonboek",
    searchHint: "Zoek op naam of toestel (/)",
    keys: "Toetsen: a opnemen, / zoeken, 1-9 collega kiezen, t doorverbinden naar de gekozen " +
      "collega, v naar diens voicemail, Delete niet meer volgen, Esc terug.",
    myPhone: "Mijn toestel", answer: "Opnemen", answered: "Uw toestel neemt op",
    voicemail: "Voicemail", toVoicemail: (target) => `Gesprek naar de voicemail van ${target}`,
    monitor: "Volgen", unmonitor: "Niet volgen", transfer: "Doorverbinden",
    licence: (name, count, limit) =>
      `Licentie ${name}: ${count} van ${limit === null ? "onbeperkt" : limit} collega's`,
    transferred: (target) => `Gesprek doorverbonden naar ${target}`,
    live: "Live", reconnecting: "Verbinding herstellen...",
    states: {
      idle: "vrij", ringing: "gaat over", on_call: "in gesprek", held: "in de wacht",
      dnd: "niet storen", forwarded: "doorgeschakeld", signed_out: "afgemeld",
    },
    with: "met",
  },
  en: {
    title: "Reception", username: "Username", password: "Password", signIn: "Sign in",
    signOut: "Sign out", monitored: "Colleagues", directory: "Company directory",
    searchHint: "Search by name or extension (/)",
    keys: "Keys: a answer, / search, 1-9 pick a colleague, t transfer to the picked " +
      "colleague, v to their voicemail, Delete stop monitoring, Esc back.",
    myPhone: "My phone", answer: "Answer", answered: "Your phone answers",
    voicemail: "Voicemail", toVoicemail: (target) => `Call sent to ${target}'s voicemail`,
    monitor: "Monitor", unmonitor: "Stop monitoring", transfer: "Transfer",
    licence: (name, count, limit) =>
      `${name} licence: ${count} of ${limit === null ? "unlimited" : limit} colleagues`,
    transferred: (target) => `Call transferred to ${target}`,
    live: "Live", reconnecting: "Reconnecting...",
    states: {
      idle: "idle", ringing: "ringing", on_call: "on a call", held: "on hold",
      dnd: "do not disturb", forwarded: "forwarded", signed_out: "signed out",
    },
    with: "with",
  },
};

const KEY = "opencc.receptionist.lang";
let lang = localStorage.getItem(KEY) || (navigator.language.startsWith("nl") ? "nl" : "en");

export const t = (word) => WORDS[lang][word];
export const language = () => lang;

export function setLanguage(next) {
  lang = next;
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of document.querySelectorAll("[data-t-placeholder]")) {
    node.placeholder = t(node.dataset.tPlaceholder);
  }
}
