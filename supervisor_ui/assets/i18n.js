// The dashboard in Dutch or English. The server renders English (its live frames are built once
// per audience and shared by every browser, so they carry no language); this script shows each
// text in the chosen language as it appears: text nodes (also the charts' SVG text),
// placeholders, titles and aria labels, kept in step by a MutationObserver. The English each
// node was given is remembered, so switching back restores it.
//
// The language: the switch in the top bar (remembered in localStorage), else the signed-in
// user's language from provisioning (the `session` store's `language`, set at sign-in), else the
// browser's. Dutch texts: i18n_nl.js (`window.SUPERVISOR_NL`).

(function () {
  const STORAGE_KEY = "opencc.supervisor.lang";
  const LANGUAGES = ["nl", "en"];
  const ATTRIBUTES = ["placeholder", "title", "aria-label"];
  const SKIP = new Set(["SCRIPT", "STYLE", "TEXTAREA", "INPUT"]);
  const english = new WeakMap(); // text node -> the English it was given
  const shown = new WeakMap(); // text node -> what this script last wrote into it
  const englishAttrs = new WeakMap(); // element -> {attribute: [English, shown]}
  let profile = null; // the provisioned language of the signed-in user
  let current = "en";
  let compiled = null;

  function dictionary() {
    if (compiled === null) {
      const nl = window.SUPERVISOR_NL || { words: {}, patterns: [] };
      compiled = {
        words: nl.words,
        patterns: nl.patterns.map(([source, dutch]) => [new RegExp(source), dutch]),
      };
    }
    return compiled;
  }

  /** The Dutch of one whole English text, or null when it has none. */
  function dutch(text) {
    const { words, patterns } = dictionary();
    if (Object.prototype.hasOwnProperty.call(words, text)) return words[text];
    for (const [pattern, template] of patterns) {
      const match = pattern.exec(text);
      if (match) {
        return template.replace(/\$(\d)|\{(\d)\}/g, (_, kept, translated) =>
          kept !== undefined ? match[kept] ?? "" : dutchOrSame(match[translated] ?? ""));
      }
    }
    // "Premium · night service: schedule · forced forwarding: off": part by part.
    if (text.includes(" · ")) {
      const parts = text.split(" · ");
      const translated = parts.map(dutchOrSame);
      if (translated.some((part, i) => part !== parts[i])) return translated.join(" · ");
    }
    return null;
  }

  // The live board redraws its texts every second, mostly the same ones: remember the answers
  // (the patterns are tried one by one), within a bound.
  const remembered = new Map();
  const REMEMBER = 5000;

  function dutchCached(text) {
    if (remembered.has(text)) return remembered.get(text);
    if (remembered.size >= REMEMBER) remembered.clear();
    const found = dutch(text);
    remembered.set(text, found);
    return found;
  }

  function dutchOrSame(text) {
    return dutch(text) ?? text;
  }

  /** `text` in the current language, its surrounding white space kept. */
  function render(text) {
    if (current !== "nl") return text;
    const core = text.trim();
    if (!core) return text;
    const found = dutchCached(core);
    return found === null ? text : text.replace(core, found);
  }

  function visitText(node) {
    const now = node.nodeValue;
    if (shown.get(node) !== now) english.set(node, now); // new text from Dash, React or Plotly
    const out = render(english.get(node));
    shown.set(node, out);
    if (now !== out) node.nodeValue = out;
  }

  function visitAttributes(element) {
    let saved = englishAttrs.get(element);
    for (const name of ATTRIBUTES) {
      const now = element.getAttribute(name);
      if (now === null) continue;
      if (!saved) englishAttrs.set(element, (saved = {}));
      if (!saved[name] || saved[name][1] !== now) saved[name] = [now, now];
      const out = render(saved[name][0]);
      saved[name][1] = out;
      if (now !== out) element.setAttribute(name, out);
    }
  }

  function walk(root) {
    if (root.nodeType === Node.TEXT_NODE) {
      if (!root.parentElement || !SKIP.has(root.parentElement.tagName)) visitText(root);
      return;
    }
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    visitAttributes(root); // an input's placeholder too, never its value
    if (SKIP.has(root.tagName)) return;
    for (const element of root.querySelectorAll("[placeholder], [title], [aria-label]")) visitAttributes(element);
    const texts = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = texts.nextNode(); node; node = texts.nextNode()) {
      if (!node.parentElement || !SKIP.has(node.parentElement.tagName)) visitText(node);
    }
  }

  function chosen() {
    let stored = null;
    try {
      stored = window.localStorage.getItem(STORAGE_KEY);
    } catch (_) {
      /* storage off: no remembered choice */
    }
    if (LANGUAGES.includes(stored)) return stored;
    if (LANGUAGES.includes(profile)) return profile;
    for (const tag of navigator.languages || [navigator.language || "en"]) {
      const base = String(tag).toLowerCase().split("-")[0];
      if (LANGUAGES.includes(base)) return base;
    }
    return "en";
  }

  function apply() {
    current = chosen();
    document.documentElement.lang = current;
    document.documentElement.dataset.language = current;
    for (const button of document.querySelectorAll("[data-lang]")) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === current));
    }
    if (document.body) walk(document.body);
  }

  function start() {
    apply();
    new MutationObserver((records) => {
      for (const record of records) {
        if (record.type === "characterData") walk(record.target);
        else if (record.type === "attributes") visitAttributes(record.target);
        else record.addedNodes.forEach(walk);
      }
    }).observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
      attributeFilter: ATTRIBUTES,
    });
    document.addEventListener("click", (event) => {
      const button = event.target.closest && event.target.closest("[data-lang]");
      if (!button) return;
      try {
        window.localStorage.setItem(STORAGE_KEY, button.dataset.lang);
      } catch (_) {
        /* storage off: the choice lasts for this page */
      }
      apply();
    });
  }

  /** The texts on the page now that are shown in English for want of a Dutch one (for tests
   *  and for finding what is missing): names, numbers and other data are among them. */
  function untranslated() {
    const found = new Set();
    const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = texts.nextNode(); node; node = texts.nextNode()) {
      const parent = node.parentElement;
      if (!parent || SKIP.has(parent.tagName) || !parent.getClientRects().length) continue;
      const text = (english.get(node) ?? node.nodeValue).trim();
      if (/[A-Za-z]/.test(text) && dutch(text) === null) found.add(text);
    }
    for (const element of document.querySelectorAll("[placeholder]")) {
      const text = (englishAttrs.get(element)?.placeholder?.[0] ?? element.placeholder).trim();
      if (element.getClientRects().length && /[A-Za-z]/.test(text) && dutch(text) === null) found.add(text);
    }
    return [...found].sort();
  }
  window.SUPERVISOR_I18N = { untranslated, dutch, language: () => current };

  // The clientside callback (app.py): the session store changed (sign-in, sign-out).
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    i18n: {
      fromSession(session) {
        profile = session && typeof session.language === "string" ? session.language : null;
        apply();
        return current;
      },
    },
  });

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
