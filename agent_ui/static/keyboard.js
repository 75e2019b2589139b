// Keyboard use: the Alt shortcuts (by KeyboardEvent.code, so any layout works), the shortcuts
// dialog's list, and the side panels' ARIA tab list (arrows, Home, End).

import { answer, currentCall, hangUp, holdOrResume, ringingCall, setState, toggleRecording } from "./commands.js";
import { $, el, replaceChildren } from "./dom.js";
import { t } from "./i18n.js";
import { openTransfer } from "./transfer.js";

const SHORTCUTS = [
  ["Alt+A", "help.answer"],
  ["Alt+H", "help.hold"],
  ["Alt+X", "help.hangup"],
  ["Alt+T", "help.transfer"],
  ["Alt+R", "help.record"],
  ["Alt+1", "help.available"],
  ["Alt+2", "help.unavailable"],
  ["Alt+D", "help.dial"],
  ["?", "help.help"],
];

export function renderHelp() {
  replaceChildren(
    $("help-list"),
    SHORTCUTS.map(([keys, key]) => [el("dt", {}, el("kbd", {}, keys)), el("dd", {}, t(key))]),
  );
}

export function onKeyDown(event) {
  if ($("main-view").hidden) return;
  const dialogOpen = $("transfer-dialog").open || $("help-dialog").open;
  if (dialogOpen) return;
  const typing = /^(INPUT|SELECT|TEXTAREA)$/.test((event.target && event.target.tagName) || "");
  if (event.key === "?" && !typing && !event.altKey && !event.ctrlKey && !event.metaKey) {
    event.preventDefault();
    $("help-dialog").showModal();
    return;
  }
  if (!event.altKey || event.ctrlKey || event.metaKey) return;
  const call = currentCall();
  const handlers = {
    KeyA: () => answer(ringingCall()),
    KeyH: () => holdOrResume(call),
    KeyX: () => hangUp(call && call.phase !== "RINGING" ? call : null),
    KeyT: () => call && call.phase !== "RINGING" && openTransfer(call),
    KeyR: () => toggleRecording(call),
    Digit1: () => setState("AVAILABLE"),
    Digit2: () => setState("UNAVAILABLE", $("reason-select").value),
    KeyD: () => $("dial-input").focus(),
  };
  const handler = handlers[event.code];
  if (handler) {
    event.preventDefault();
    handler();
  }
}

export function setupTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const select = (tab, focus) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      $(other.getAttribute("aria-controls")).hidden = !selected;
    }
    if (focus) tab.focus();
  };
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => select(tab, false));
    tab.addEventListener("keydown", (event) => {
      const moves = { ArrowRight: 1, ArrowLeft: -1 };
      if (event.key in moves) {
        event.preventDefault();
        select(tabs[(index + moves[event.key] + tabs.length) % tabs.length], true);
      } else if (event.key === "Home") {
        event.preventDefault();
        select(tabs[0], true);
      } else if (event.key === "End") {
        event.preventDefault();
        select(tabs[tabs.length - 1], true);
      }
    });
  });
}
