// DOM helpers: elements carry text only (no HTML is ever parsed from server data).

/** `el("button", {type: "button", onclick: f}, "text", child)`; attributes starting with "on"
 *  are listeners, `dataset` an object, `hidden`/`disabled`/`checked`/`value` properties. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (["hidden", "disabled", "checked", "value", "multiple", "selected"].includes(name)) node[name] = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

/** A labelled form field; `input` is an element with a `name`. */
export function field(label, input) {
  return el("label", { class: "field" }, el("span", {}, label), input);
}

export function select(name, options, chosen) {
  return el("select", { name, id: `f-${name}` },
    options.map(([value, label]) => el("option", { value, selected: value === chosen }, label)));
}

export function table(headers, rows, attrs = {}) {
  return el("table", attrs,
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows));
}

/** The values of a form's named fields (checkboxes as booleans, empty text as absent). */
export function formValues(form) {
  const values = {};
  for (const input of form.querySelectorAll("[name]")) {
    if (input.type === "checkbox") values[input.name] = input.checked;
    else if (typeof input.value === "string" && input.value !== "") values[input.name] = input.value;
  }
  return values;
}
