// DOM helpers. Text always goes in as text nodes / textContent, never parsed as markup, so
// nothing the server sends can become HTML.

export const $ = (id) => document.getElementById(id);

/**
 * el("button", {class: "x", onclick: fn, "aria-label": "..."}, "text", child, ...)
 * Attributes starting with "on" become listeners; `dataset` sets data-*; booleans toggle.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      for (const [k, v] of Object.entries(value)) node.dataset[k] = String(v);
    } else if (name === "class") {
      node.className = String(value);
    } else if (value === true) {
      node.setAttribute(name, "");
    } else {
      node.setAttribute(name, String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
}

/**
 * Replace a container's children, keeping keyboard focus on the element with the same
 * data-key (so live updates do not throw a keyboard user out of a list).
 */
export function replaceChildren(container, ...children) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.key : undefined;
  container.replaceChildren();
  append(container, children);
  if (key) {
    const again = container.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (again) again.focus();
  }
}

/** Only http(s) links may be opened (a CRM URL like `javascript:...` is shown as text). */
export function safeUrl(value) {
  try {
    const url = new URL(String(value), window.location.href);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch (_) {
    return null;
  }
}

export function formatDuration(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** A row of the side panels' lists (agent.css `.row`): a title, a muted line under it, then the
 * row's buttons. */
export function listRow(attrs, title, sub, ...buttons) {
  return el(
    "li",
    { ...attrs, class: "row" },
    el("div", { class: "row-main" }, el("div", { class: "row-title" }, title), el("div", { class: "row-sub muted" }, sub)),
    buttons,
  );
}
