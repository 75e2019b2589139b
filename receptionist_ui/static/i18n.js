// The console's words in Dutch and English; the language follows the browser until chosen.

const WORDS = {
  nl: {
    title: "Receptie", username: "Gebruikersnaam", password: "Wachtwoord", signIn: "Inloggen",
    signOut: "Uitloggen", monitored: "Collega's", directory: "Bedrijfstelefoonboek",
    searchHint: "Zoek op naam of toestel (/)",
    keys: "Toetsen: a opnemen, / zoeken, 1-9 collega kiezen, t doorverbinden naar de gekozen " +
      "collega, v naar diens voicemail, c ruggespraak, w laten wachten (camp-on), p parkeren, " +
      "g aanname van diens gesprek, k conferentie; f doorverbinden na ruggespraak, r terug " +
      "naar de beller; Delete niet meer volgen, Esc terug.",
    calls: "Mijn gesprekken",
    queues: "Wachtrijen", take: "Naar mijn toestel", taken: "Het gesprek komt naar uw toestel",
    hidden: "anoniem", waited: (s) => `${s} s wachtend`, waiting: (n) => `${n} wachtend`,
    history: "Gespreksgeschiedenis", refresh: "Vernieuwen", note: "Notitie",
    saveNote: "Notitie bewaren", noteSaved: "Notitie bewaard",
    actions: {
      consult: "Ruggespraak", campOn: "Laten wachten", park: "Parkeren", pickup: "Aannemen",
      conference: "Conferentie", complete: "Doorverbinden", back: "Terug naar beller",
      announce: "Aankondigen",
    },
    did: {
      consult: (x) => `${x} wordt gebeld; de beller hoort wachtmuziek`,
      campOn: (x) => `De beller wacht op ${x}`,
      park: (x) => `Gesprek geparkeerd voor ${x}`,
      pickup: (x) => `Het gesprek van ${x} komt naar uw toestel`,
      conference: (x) => `Conferentie met ${x}`,
      announce: (x) => `Uw toestel belt ${x}`,
      complete: () => "Doorverbinden...", back: () => "Terug naar de beller",
    },
    consulting: (x, joined, mode) => (mode === "barge" ? `Conferentie met ${x}` :
      `Ruggespraak met ${x}`) + (joined ? "" : " (gaat over)"),
    campingOn: (caller, x) => `${caller} wacht op ${x} (wachtmuziek)`,
    parkedFor: (caller, x) => `${caller} geparkeerd voor ${x}: ${x} kiest *88 (anderen *88${x})`,
    notices: {
      consult_handed_over: (x) => `Doorverbonden met ${x}`,
      consult_stopped: () => "Terug bij de beller",
      consult_hung_up: (x) => `${x} heeft opgehangen`,
      consult_call_ended: () => "Het gesprek is beëindigd",
      consult_no_answer: (x) => `${x} neemt niet op`,
      consult_busy: (x) => `${x} is bezet`,
      consult_not_registered: (x) => `${x} is afgemeld`,
      consult_rejected: (x) => `${x} weigert`,
      consult_failed: () => "Ruggespraak mislukt",
      park_refused: (why) => `Parkeren geweigerd: ${why}`,
      recall: (x) => `${x} kwam niet vrij: het gesprek komt terug`,
    },
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
      "colleague, v to their voicemail, c consult, w camp on, p park, g pick up their call, " +
      "k conference; f complete the transfer, r back to the caller; Delete stop monitoring, " +
      "Esc back.",
    calls: "My calls",
    queues: "Queues", take: "To my phone", taken: "The call comes to your phone",
    hidden: "hidden", waited: (s) => `waiting ${s} s`, waiting: (n) => `${n} waiting`,
    history: "Call history", refresh: "Refresh", note: "Note",
    saveNote: "Save note", noteSaved: "Note saved",
    actions: {
      consult: "Consult", campOn: "Camp on", park: "Park", pickup: "Pick up",
      conference: "Conference", complete: "Complete transfer", back: "Back to caller",
      announce: "Announce",
    },
    did: {
      consult: (x) => `Calling ${x}; the caller hears music`,
      campOn: (x) => `The caller waits for ${x}`,
      park: (x) => `Call parked for ${x}`,
      pickup: (x) => `${x}'s call comes to your phone`,
      conference: (x) => `Conference with ${x}`,
      announce: (x) => `Your phone calls ${x}`,
      complete: () => "Transferring...", back: () => "Back to the caller",
    },
    consulting: (x, joined, mode) => (mode === "barge" ? `Conference with ${x}` :
      `Consulting ${x}`) + (joined ? "" : " (ringing)"),
    campingOn: (caller, x) => `${caller} waits for ${x} (music)`,
    parkedFor: (caller, x) => `${caller} parked for ${x}: ${x} dials *88 (others *88${x})`,
    notices: {
      consult_handed_over: (x) => `Transferred to ${x}`,
      consult_stopped: () => "Back with the caller",
      consult_hung_up: (x) => `${x} hung up`,
      consult_call_ended: () => "The call ended",
      consult_no_answer: (x) => `${x} does not answer`,
      consult_busy: (x) => `${x} is busy`,
      consult_not_registered: (x) => `${x} is signed out`,
      consult_rejected: (x) => `${x} declined`,
      consult_failed: () => "The consultation failed",
      park_refused: (why) => `Park refused: ${why}`,
      recall: (x) => `${x} did not become free: the call comes back`,
    },
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
