// The browser phone (docs/webrtc.md): JsSIP (vendor/jssip-*.min.js, window.JsSIP) registers the
// user's own extension over SIP-over-WebSocket (wss: from an https page) with a short-lived
// credential from POST /api/v1/me/sip-credential; rtpengine on the PBX turns its DTLS-SRTP/Opus
// into the phones' RTP/G.711. The user picks "desk phone" or "browser" per session
// (sessionStorage). With the browser phone, calls ring here, and click-to-dial rings here too and
// is answered at once (the PBX marks those INVITEs auto-answer).
//
// Shared by the agent client and the receptionist console (which loads it from /agent/): the page
// hands setupSoftphone() what the phone needs from it (token, language, messages, keypad digits
// outside a call); nothing here knows either page's own modules. The page provides the elements
// #softphone (the panel) and #softphone-audio.

import { $, el, replaceChildren } from "./dom.js";

const CREDENTIAL_PATH = "/api/v1/me/sip-credential";
const DEVICE_KEY = "opencc.agent.devices"; // per browser, both pages: {mic, speaker}

/** What the page gives the phone (setupSoftphone); the defaults are the agent client's keys. */
const H = {
  token: () => "",
  language: () => "en",
  toast: (_text, _kind) => {},
  typeDigit: (_key) => {}, // a keypad digit outside a call (the agent's dial box)
  modeKey: "opencc.agent.phone", // sessionStorage, per page: "desk" or "browser"
  userAgent: "OpenCC agent client",
};
const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];
const GATHER_MS = 1000; // the longest a call waits for STUN/TURN answers (limitGathering)

const TEXT = {
  en: {
    heading: "Phone", desk: "Desk phone", browser: "Browser", mic: "Microphone", speaker: "Speaker",
    idle: "Ready", off: "Calls ring on your desk phone.", connecting: "Connecting…",
    registered: "Ready: calls ring here.", offline: "Phone offline: network lost, reconnecting…",
    failed: "Phone not registered: {reason}", unavailable: "This server has no browser phone.",
    micDenied: "Microphone blocked: allow it for this site in the browser (padlock in the address bar), then choose Browser again.",
    noMic: "No microphone found: plug in a headset and choose Browser again.",
    ringing: "Incoming call from {who}", talking: "In call with {who}", held: "On hold: {who}",
    calling: "Calling {who}…", answer: "Answer", decline: "Decline", hangup: "Hang up",
    mute: "Mute", unmute: "Unmute", hold: "Hold", resume: "Resume", transfer: "Transfer",
    transferTo: "Transfer to", keypad: "Keypad", callFailed: "Call ended: {reason}", defaultDevice: "Default",
    busy: "You are in a call: hang up or transfer it first.",
  },
  nl: {
    heading: "Telefoon", desk: "Bureautoestel", browser: "Browser", mic: "Microfoon", speaker: "Luidspreker",
    idle: "Gereed", off: "Gesprekken gaan over op uw bureautoestel.", connecting: "Verbinden…",
    registered: "Gereed: gesprekken gaan hier over.", offline: "Telefoon offline: netwerk weg, opnieuw verbinden…",
    failed: "Telefoon niet aangemeld: {reason}", unavailable: "Deze server heeft geen browsertelefoon.",
    micDenied: "Microfoon geblokkeerd: sta hem toe voor deze site in de browser (slotje in de adresbalk) en kies opnieuw Browser.",
    noMic: "Geen microfoon gevonden: sluit een headset aan en kies opnieuw Browser.",
    ringing: "Inkomend gesprek van {who}", talking: "In gesprek met {who}", held: "In de wacht: {who}",
    calling: "{who} bellen…", answer: "Opnemen", decline: "Weigeren", hangup: "Ophangen",
    mute: "Dempen", unmute: "Dempen uit", hold: "Wacht", resume: "Hervatten", transfer: "Doorverbinden",
    transferTo: "Doorverbinden naar", keypad: "Toetsen", callFailed: "Gesprek beëindigd: {reason}", defaultDevice: "Standaard",
    busy: "U bent in gesprek: hang eerst op of verbind door.",
  },
};

function tr(key, params = {}) {
  const text = (TEXT[H.language()] || TEXT.en)[key] || TEXT.en[key] || key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

const P = {
  ua: null,
  session: null, // the one call of this phone (an agent takes one at a time)
  status: "off", // off | connecting | registered | offline | failed
  detail: "",
  refreshTimer: null,
  ring: null,
  muted: false,
  held: false,
  calledAt: 0, // performance.now() of the offer, for the setup time shown in the page's dataset
  iceServers: [], // from the credential (OPENCC_WEBRTC_ICE_SERVERS): rtpengine's own candidates need none
};

function mode() {
  return window.sessionStorage.getItem(H.modeKey) === "browser" ? "browser" : "desk";
}

function devices() {
  try {
    return JSON.parse(window.localStorage.getItem(DEVICE_KEY) || "{}");
  } catch (_) {
    return {};
  }
}

async function fetchCredential() {
  const response = await fetch(new URL(CREDENTIAL_PATH, window.location.href).href, {
    method: "POST",
    headers: { Authorization: `Bearer ${H.token()}`, Accept: "application/json" },
  });
  if (response.status === 503) throw new Error(tr("unavailable"));
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

/** Asks for the microphone before registering: a phone that cannot answer must not take offers. */
async function checkMicrophone() {
  const mic = devices().mic;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: mic ? { deviceId: mic } : true });
    stream.getTracks().forEach((track) => track.stop());
    return null;
  } catch (error) {
    return error && error.name === "NotFoundError" ? tr("noMic") : tr("micDenied");
  }
}

export async function startSoftphone() {
  if (P.ua || mode() !== "browser" || !H.token()) return;
  setStatus("connecting");
  const problem = await checkMicrophone();
  if (problem) {
    setStatus("failed", problem);
    H.toast(problem, "error");
    return;
  }
  let credential;
  try {
    credential = await fetchCredential();
  } catch (error) {
    setStatus("failed", error.message);
    return;
  }
  // RTCIceServer's username is a plain string: a null would become "null".
  P.iceServers = (credential.ice_servers || []).map((server) =>
    Object.fromEntries(Object.entries(server).filter(([, value]) => value !== null)),
  );
  // A page served over https may only open wss: (the server gives it when it has a certificate).
  const secure = window.location.protocol === "https:" && credential.wss_url;
  const ua = new window.JsSIP.UA({
    sockets: [new window.JsSIP.WebSocketInterface(secure ? credential.wss_url : credential.ws_url)],
    uri: credential.uri,
    authorization_user: credential.username,
    password: credential.password,
    register: true,
    register_expires: 300,
    session_timers: false,
    user_agent: H.userAgent,
  });
  ua.on("connected", () => P.status === "offline" && setStatus("connecting"));
  ua.on("disconnected", () => setStatus("offline"));
  ua.on("registered", () => setStatus("registered"));
  ua.on("registrationFailed", (event) => setStatus("failed", tr("failed", { reason: event.cause })));
  ua.on("newRTCSession", (event) => onNewSession(event));
  P.ua = ua;
  scheduleRefresh(credential);
  ua.start();
}

/** A fresh password before the current one expires; the next re-REGISTER answers with it. */
function scheduleRefresh(credential) {
  const delay = Math.max(10000, Date.parse(credential.refresh_after) - Date.now());
  P.refreshTimer = setTimeout(async () => {
    try {
      const next = await fetchCredential();
      if (!P.ua) return;
      P.ua.set("password", next.password);
      scheduleRefresh(next);
    } catch (_) {
      P.refreshTimer = setTimeout(() => scheduleRefresh(credential), 30000);
    }
  }, delay);
}

export function stopSoftphone() {
  clearTimeout(P.refreshTimer);
  stopRing();
  if (P.session && !P.session.isEnded()) P.session.terminate();
  if (P.ua) P.ua.stop(); // unregisters
  P.ua = null;
  P.session = null;
  setStatus("off");
}

function setStatus(status, detail = "") {
  P.status = status;
  P.detail = detail;
  render();
}

function peerName(session) {
  const identity = session.remote_identity;
  return (identity && (identity.display_name || identity.uri.user)) || "?";
}

function onNewSession({ session, originator, request }) {
  if (P.session && !P.session.isEnded()) {
    if (originator === "remote") session.terminate({ status_code: 486 }); // one call at a time
    return;
  }
  P.session = session;
  P.muted = false;
  P.held = false;
  P.calledAt = performance.now();
  session.on("peerconnection", (event) => attachAudio(event.peerconnection));
  session.on("icecandidate", limitGathering);
  if (session.connection) attachAudio(session.connection);
  session.on("accepted", () => {
    stopRing();
    render();
  });
  session.on("confirmed", render);
  session.on("hold", () => { P.held = true; render(); });
  session.on("unhold", () => { P.held = false; render(); });
  session.on("ended", () => endSession());
  session.on("failed", (event) => {
    if (event.cause === window.JsSIP.C.causes.USER_DENIED_MEDIA_ACCESS) H.toast(tr("micDenied"), "error");
    else if (event.originator !== "remote" || event.cause !== window.JsSIP.C.causes.CANCELED) {
      H.toast(tr("callFailed", { reason: event.cause }), "info");
    }
    endSession();
  });
  if (originator === "remote") {
    const callInfo = (request && request.getHeader("Call-Info")) || "";
    if (/answer-after=0/.test(callInfo)) answer(); // our own click-to-dial: the PBX rings us first
    else startRing();
  }
  render();
}

/**
 * JsSIP sends its offer or answer once ICE gathering is complete (SIP has no trickle here); with
 * a STUN/TURN server that does not answer, Chromium gathers for 40 s (measured; STUN gives up
 * after 39.5 s, RFC 5389 7.2.1) and every call waited that long. A relay candidate (the TURN
 * server answered) is all a browser that needs TURN needs; otherwise GATHER_MS after a
 * candidate at most. Without ICE servers gathering completes at once and this changes nothing.
 */
function limitGathering({ candidate, ready }) {
  if (candidate.type === "relay") ready();
  else setTimeout(ready, GATHER_MS);
}

function attachAudio(connection) {
  connection.addEventListener("track", (event) => {
    const audio = $("softphone-audio");
    audio.srcObject = event.streams[0] || new MediaStream([event.track]);
    const speaker = devices().speaker;
    if (speaker && audio.setSinkId) audio.setSinkId(speaker).catch(() => {});
    audio.play().catch(() => {});
  });
}

function endSession() {
  stopRing();
  P.session = null;
  const audio = $("softphone-audio");
  if (audio) audio.srcObject = null;
  render();
}

function mediaOptions() {
  const mic = devices().mic;
  return {
    mediaConstraints: { audio: mic ? { deviceId: mic } : true, video: false },
    pcConfig: { iceServers: P.iceServers },
  };
}

function answer() {
  if (P.session) P.session.answer(mediaOptions());
}

/**
 * Calls `number` from the browser itself, like a desk phone (its INVITE enters the PBX's dial
 * plan: extensions, meeting rooms, voicemail, feature codes, the trunk; the keypad then sends
 * DTMF as SIP INFO). "placed"; "busy" when the browser is in a call (said in a toast: one call
 * at a time, and click-to-dial would only ring this browser, which refuses it); "" when the
 * browser phone is not chosen or not registered: the page uses click-to-dial.
 */
export function placeCall(number) {
  if (!P.ua || P.status !== "registered") return "";
  if (P.session && !P.session.isEnded()) {
    H.toast(tr("busy"), "error");
    return "busy";
  }
  const domain = P.ua.configuration.uri.host;
  P.ua.call(`sip:${number.replace(/#/g, "%23")}@${domain}`, mediaOptions()); // '#' is not allowed bare in a SIP URI
  return "placed";
}

function hangUp() {
  if (P.session && !P.session.isEnded()) P.session.terminate();
}

function toggleMute() {
  if (!P.session) return;
  P.muted = !P.muted;
  if (P.muted) P.session.mute({ audio: true });
  else P.session.unmute({ audio: true });
  render();
}

function toggleHold() {
  if (!P.session) return;
  if (P.held) P.session.unhold();
  else P.session.hold();
}

function sendDigit(key) {
  if (P.session && P.session.isEstablished()) {
    P.session.sendDTMF(key, { transportType: "INFO" }); // the PBX takes SIP INFO digits
  } else {
    H.typeDigit(key);
  }
}

function transfer(event) {
  event.preventDefault();
  const target = $("softphone-transfer-input").value.replace(/[\s().-]/g, "");
  if (!P.session || !/^\+?[0-9*#]{2,20}$/.test(target)) return;
  P.session.refer(target); // blind transfer: the PBX takes the REFER and calls the target
  $("softphone-transfer-input").value = "";
}

// Ring: a European ring tone (425 Hz, 1 s on, 4 s off) made with WebAudio: no file to fetch.
function startRing() {
  stopRing();
  const context = new AudioContext();
  const gain = context.createGain();
  gain.gain.value = 0;
  gain.connect(context.destination);
  const tone = context.createOscillator();
  tone.frequency.value = 425;
  tone.connect(gain);
  tone.start();
  const pulse = () => {
    const now = context.currentTime;
    gain.gain.setValueAtTime(0.2, now);
    gain.gain.setValueAtTime(0, now + 1);
  };
  pulse();
  P.ring = { context, timer: setInterval(pulse, 5000) };
}

function stopRing() {
  if (!P.ring) return;
  clearInterval(P.ring.timer);
  P.ring.context.close();
  P.ring = null;
}

async function chooseMode(next) {
  window.sessionStorage.setItem(H.modeKey, next);
  if (next === "browser") await startSoftphone();
  else stopSoftphone();
  render();
}

async function chooseDevice(kind, id) {
  window.localStorage.setItem(DEVICE_KEY, JSON.stringify({ ...devices(), [kind]: id }));
  const audio = $("softphone-audio");
  if (kind === "speaker" && audio.setSinkId) await audio.setSinkId(id).catch(() => {});
}

async function deviceOptions(kind) {
  const wanted = kind === "mic" ? "audioinput" : "audiooutput";
  let list = [];
  try {
    list = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === wanted);
  } catch (_) {
    /* no device list: the default device is used */
  }
  const current = devices()[kind] || "";
  return [
    el("option", { value: "" }, tr("defaultDevice")),
    ...list.map((d) => el("option", { value: d.deviceId, selected: d.deviceId === current }, d.label || d.deviceId)),
  ];
}

function button(label, onclick, extra = "") {
  return el("button", { type: "button", class: `btn btn-small ${extra}`, onclick }, label);
}

function callView() {
  const session = P.session;
  if (!session) return el("p", { class: "muted softphone-status", "data-status": P.status }, statusText());
  const who = peerName(session);
  const established = session.isEstablished();
  const incoming = session.direction === "incoming" && !established;
  let line = tr("calling", { who });
  if (incoming) line = tr("ringing", { who });
  else if (established) line = P.held ? tr("held", { who }) : tr("talking", { who });
  const buttons = incoming
    ? [button(tr("answer"), answer, "btn-primary softphone-answer"), button(tr("decline"), hangUp, "softphone-hangup")]
    : [
        button(tr("hangup"), hangUp, "btn-unavailable softphone-hangup"),
        button(P.muted ? tr("unmute") : tr("mute"), toggleMute, "softphone-mute"),
        button(P.held ? tr("resume") : tr("hold"), toggleHold, "softphone-hold"),
      ];
  const transferForm = el(
    "form",
    { class: "softphone-transfer", onsubmit: transfer },
    el("label", { for: "softphone-transfer-input", class: "visually-hidden" }, tr("transferTo")),
    el("input", { id: "softphone-transfer-input", inputmode: "tel", placeholder: tr("transferTo"), autocomplete: "off" }),
    el("button", { type: "submit", class: "btn btn-small" }, tr("transfer")),
  );
  return el(
    "div",
    { class: "softphone-call", "data-call": incoming ? "ringing" : established ? "talking" : "calling" },
    el("p", { class: "softphone-line", role: "status" }, line),
    el("div", { class: "softphone-buttons" }, ...buttons),
    established ? transferForm : "",
  );
}

function statusText() {
  if (mode() === "desk") return tr("off");
  if (P.status === "failed") return P.detail || tr("failed", { reason: "" });
  return tr(P.status === "off" ? "connecting" : P.status);
}

async function render() {
  const root = $("softphone");
  if (!root) return;
  const browser = mode() === "browser";
  const modeSwitch = el(
    "div",
    { class: "softphone-mode", role: "radiogroup", "aria-label": tr("heading") },
    ...["desk", "browser"].map((value) =>
      el(
        "label",
        {},
        el("input", {
          type: "radio",
          name: "softphone-mode",
          value,
          id: `softphone-mode-${value}`,
          checked: mode() === value,
          onchange: () => chooseMode(value),
        }),
        ` ${tr(value)}`,
      ),
    ),
  );
  const parts = [el("h2", { id: "softphone-heading" }, tr("heading")), modeSwitch, callView()];
  if (browser) {
    const keypad = el(
      "div",
      { class: "softphone-keypad", role: "group", "aria-label": tr("keypad") },
      ...KEYS.map((key) => button(key, () => sendDigit(key), "softphone-key")),
    );
    const [mics, speakers] = await Promise.all([deviceOptions("mic"), deviceOptions("speaker")]);
    const selects = el(
      "div",
      { class: "softphone-devices" },
      el("label", { for: "softphone-mic" }, tr("mic")),
      el("select", { id: "softphone-mic", onchange: (e) => chooseDevice("mic", e.target.value) }, ...mics),
      el("label", { for: "softphone-speaker" }, tr("speaker")),
      el("select", { id: "softphone-speaker", onchange: (e) => chooseDevice("speaker", e.target.value) }, ...speakers),
    );
    parts.push(keypad, selects);
  }
  root.dataset.status = browser ? P.status : "desk";
  replaceChildren(root, ...parts);
}

/** The page's part (see H), then the panel: before startSoftphone(); again to re-render (a new language). */
export function setupSoftphone(page = {}) {
  Object.assign(H, page);
  render();
}

/** Answers the call ringing in the browser phone, if there is one (the console's Answer). */
export function answerRinging() {
  const session = P.session;
  if (!session || session.direction !== "incoming" || !session.isInProgress()) return false;
  answer();
  return true;
}
