// The signed-in user's REST calls of the settings tab, and their texts: one place for the
// bearer token, the JSON body and how a refusal is told (the server's reason, with the field it
// names: "rules[1].numbers[0]: a number: 2-15 digits").

import { language } from "./i18n.js";
import { S } from "./state.js";

/** `method` on `path` (under this page's origin) as the signed-in user; the JSON answer, null
 * for 204. A refusal throws an Error whose message is the server's reason. */
export async function restCall(method, path, body) {
  const url = new URL(path, window.location.href).href;
  const response = await fetch(url, {
    method,
    headers: { Authorization: `Bearer ${S.token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    const detail = (await response.json().catch(() => ({}))).detail;
    if (typeof detail === "string") throw new Error(detail);
    const reason = typeof detail === "object" && detail?.reason ? detail.reason : response.statusText;
    throw new Error(typeof detail === "object" && detail?.field ? `${detail.field}: ${reason}` : reason);
  }
  return response.status === 204 ? null : response.json();
}

/** A `text(key, params)` over a section's NL/EN table, in the page's language. */
export function texts(table) {
  return (key, params = {}) => {
    const words = table[language()] || table.en;
    return words[key].replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
  };
}
