// The call centers tab: join or leave a call center. The API lists only the joined ones, so the
// ones seen before are remembered in this browser, and a left one can be joined again.

import { M_JOIN, M_LEAVE, api } from "./api.js";
import { refreshCenters, refreshMe } from "./desk.js";
import { $, el, listRow, replaceChildren } from "./dom.js";
import { act, actionButton, renderPending } from "./feedback.js";
import { t } from "./i18n.js";
import { restartQueueEvents } from "./live.js";
import { S } from "./state.js";

const KNOWN_CENTERS_KEY = "opencc.agent.callCenters";

function knownCenters() {
  try {
    const raw = JSON.parse(window.localStorage.getItem(KNOWN_CENTERS_KEY) || "{}");
    return raw && typeof raw === "object" ? raw : {};
  } catch (_) {
    return {};
  }
}

/** Remember call centers seen (ids, or {id, number, name}), so a left one can be joined again. */
export function rememberCenters(list) {
  const known = knownCenters();
  for (const item of list) {
    const entry = typeof item === "string" ? { id: item } : item;
    known[entry.id] = { ...(known[entry.id] || {}), ...entry };
  }
  try {
    window.localStorage.setItem(KNOWN_CENTERS_KEY, JSON.stringify(known));
  } catch (_) {
    /* storage full or blocked: the tab shows the joined ones only */
  }
}

async function setMembership(id, join) {
  const ok = await act(join ? "join" : "leave", `member-${id}`, () =>
    api(join ? M_JOIN : M_LEAVE, { id }),
  );
  if (ok) {
    await Promise.all([refreshMe(), refreshCenters()]).catch(() => {});
    restartQueueEvents();
  }
}

function membershipRow(id, cc, isMember) {
  return listRow(
    { dataset: { callCenter: id, joined: String(isMember) } },
    cc.name || id,
    isMember ? t("members.joined") : cc.number || id,
    actionButton(isMember ? t("members.leave") : t("members.join"), `member-${id}`, () => setMembership(id, !isMember), {
      class: isMember ? "btn-small btn-ghost-dark" : "btn-small",
    }),
  );
}

export function renderMemberships() {
  const panel = $("panel-memberships");
  const known = knownCenters();
  const joined = new Set(S.me ? S.me.callCenters : []);
  const ids = Object.keys(known).sort();
  if (!ids.length) {
    replaceChildren(panel, el("p", { class: "empty" }, t("members.none")));
    return;
  }
  replaceChildren(
    panel,
    el("p", { class: "muted small" }, t("members.hint")),
    el("ul", { class: "rows" }, ids.map((id) => membershipRow(id, S.centers.get(id) || known[id], joined.has(id)))),
  );
  renderPending();
}
