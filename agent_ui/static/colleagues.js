// Colleagues: the other agents of my call centers with their state, best reachable first.

import { dialButton } from "./dialer.js";
import { $, el, listRow, replaceChildren } from "./dom.js";
import { t } from "./i18n.js";
import { S } from "./state.js";

// How reachable a colleague is, for the order of the list (a state not named here goes last).
const REACHABLE_FIRST = { AVAILABLE: 0, WRAP_UP: 1, BUSY: 2, SIGN_IN: 3, UNAVAILABLE: 4, SIGN_OUT: 5 };

/** Every other agent of my call centers once, with the call centers they share with me. */
export function colleagueList() {
  const me = S.me ? S.me.extension : null;
  const byExt = new Map();
  for (const cc of S.centers.values()) {
    for (const agent of cc.agents) {
      if (agent.extension === me) continue;
      const entry = byExt.get(agent.extension) || { extension: agent.extension, state: agent.state, centers: [] };
      entry.state = agent.state;
      entry.centers.push(cc.name);
      byExt.set(agent.extension, entry);
    }
  }
  const rank = (c) => REACHABLE_FIRST[c.state] ?? 9;
  return [...byExt.values()].sort((a, b) => rank(a) - rank(b) || a.extension.localeCompare(b.extension));
}

function colleagueRow(c) {
  const row = listRow(
    { dataset: { extension: c.extension, state: c.state } },
    t("colleagues.extension", { extension: c.extension }),
    `${t(`state.${c.state}`)} · ${c.centers.join(", ")}`,
    dialButton(c.extension, t("colleagues.call", { name: c.extension })),
  );
  row.prepend(el("span", { class: "dot", "aria-hidden": "true" }));
  return row;
}

export function renderColleagues() {
  const list = colleagueList();
  const panel = $("panel-colleagues");
  if (!list.length) {
    replaceChildren(panel, el("p", { class: "empty" }, t("colleagues.none")));
    return;
  }
  replaceChildren(panel, el("ul", { class: "rows" }, list.map(colleagueRow)));
}
