/*
 * Open CTI adapter: Salesforce <-> our adapter API, /api/v1/opencti (see docs/crm.md).
 *
 * Each Salesforce user pastes its own softphone token once (made with POST
 * /api/v1/me/crm-tokens); it is kept in sessionStorage for this tab only. The token is
 * bound to the user's extension and works only on the adapter API: it dials from that
 * extension and nowhere else, so the page never holds a tenant-wide token.
 *
 * Outgoing: Salesforce click-to-dial -> POST /api/v1/opencti/dial {destination}.
 * Incoming: GET /api/v1/opencti/events (Server-Sent Events read with fetch, so the token goes in
 * the Authorization header) delivers this extension's calls; a CALL_OFFERED pops the caller's
 * record in Salesforce (sforce.opencti.screenPop with the record id our screen pop found, else
 * searchAndScreenPop on the caller's number).
 *
 * The page talks only to the server it came from (its CSP allows nothing else).
 */
(function () {
  "use strict";

  var OPENCTI_VERSION = "61.0";
  var TOKEN_KEY = "cc.crmToken";
  var SALESFORCE_ORIGIN =
    /^https:\/\/[a-z0-9-]+(\.[a-z0-9-]+)*\.(salesforce|force|visualforce|salesforce-setup)\.com$/i;
  var state = { token: "", reader: null, retryMs: 1000, generation: 0 };
  var statusEl = document.getElementById("status");

  function el(id) { return document.getElementById(id); }

  function setStatus(text) { statusEl.textContent = text; }

  // Salesforce's own library must come from the org's domain, which it passes to us.
  function loadOpenCti(done) {
    if (window.sforce && window.sforce.opencti) { done(); return; }
    var origin = new URLSearchParams(location.search).get("sfdcIframeOrigin");
    if (!origin) { setStatus("not inside Salesforce"); return; }
    // Anyone can put a link to this page with another origin: loading a script from there
    // would hand a stranger this page's token. Salesforce's domains only (the CSP agrees).
    if (!SALESFORCE_ORIGIN.test(origin)) { setStatus("refused: not a Salesforce origin"); return; }
    var script = document.createElement("script");
    script.src = origin + "/support/api/" + OPENCTI_VERSION + "/lightning/opencti_min.js";
    script.onload = done;
    document.head.appendChild(script);
  }

  function api(path, options) {
    options = options || {};
    options.headers = Object.assign(
      { "Authorization": "Bearer " + state.token, "Content-Type": "application/json" },
      options.headers || {});
    return fetch("/api/v1/opencti" + path, options);
  }

  // The token was refused (revoked, expired, mistyped): forget it and ask again.
  function signOut(reason) {
    state.generation += 1;  // an event stream still running stops reconnecting
    if (state.reader) { state.reader.cancel().catch(function () {}); state.reader = null; }
    state.token = "";
    sessionStorage.removeItem(TOKEN_KEY);
    el("signed-in").hidden = true;
    el("sign-in").hidden = false;
    setStatus(reason);
  }

  function clickToDial(payload) {
    var destination = String(payload.number || "").replace(/[^0-9+*#]/g, "");
    if (!state.token) { setStatus("connect with your softphone token first"); return; }
    api("/dial", { method: "POST", body: JSON.stringify({ destination: destination }) })
      .then(function (response) {
        if (response.status === 401) { signOut("token refused: connect again"); return; }
        setStatus(response.status === 202 ? "dialling " + destination : "dial failed: " + response.status);
      })
      .catch(function () { setStatus("dial failed: server unreachable"); });
  }

  function popFor(caller) {
    var sf = window.sforce.opencti;
    var fallback = function () {
      sf.searchAndScreenPop({ searchParams: caller, callType: sf.CALL_TYPE.INBOUND, deferred: false });
    };
    api("/screen-pop?number=" + encodeURIComponent(caller))
      .then(function (response) { return response.ok ? response.json() : { records: [] }; })
      .then(function (body) {
        var mine = (body.records || []).find(function (r) { return /salesforce/i.test(r.crm); });
        if (mine) {
          sf.screenPop({ type: sf.SCREENPOP_TYPE.SOBJECT, params: { recordId: mine.record_id } });
        } else {
          fallback();
        }
      })
      .catch(fallback);
  }

  function onEvent(kind, data) {
    if (kind === "ready") {
      state.retryMs = 1000;
      setStatus("connected");
    } else if (kind === "call" && data.type === "CALL_OFFERED") {
      el("last-call").textContent = "ringing: " + data.caller;
      popFor(data.caller);
    } else if (kind === "end") {
      signOut("disconnected: " + data.reason);
    }
  }

  // One SSE stream: "event: <kind>" and "data: <json>" lines, a blank line ends each event.
  function follow() {
    var generation = state.generation;
    var again = function () {
      if (generation !== state.generation) { return; }
      setStatus("reconnecting");
      setTimeout(follow, state.retryMs);
      state.retryMs = Math.min(state.retryMs * 2, 30000);
    };
    api("/events", { headers: { "Accept": "text/event-stream" } }).then(function (response) {
      if (response.status === 401) { signOut("token refused: connect again"); return; }
      if (!response.ok) { again(); return; }
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      var kind = "";
      state.reader = reader;
      function read() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { again(); return; }
          buffer += decoder.decode(chunk.value, { stream: true });
          var lines = buffer.split("\n");
          buffer = lines.pop();
          lines.forEach(function (line) {
            if (line.indexOf("event: ") === 0) { kind = line.slice(7); }
            else if (line.indexOf("data: ") === 0) { onEvent(kind, JSON.parse(line.slice(6))); }
          });
          return read();
        });
      }
      return read();
    }).catch(again);
  }

  function connect(token) {
    state.token = token;
    api("/me").then(function (response) {
      if (!response.ok) { signOut("token refused: check it and connect again"); return; }
      return response.json().then(function (me) {
        sessionStorage.setItem(TOKEN_KEY, token);
        el("extension").textContent = me.extension;
        el("sign-in").hidden = true;
        el("signed-in").hidden = false;
        follow();
      });
    }).catch(function () { setStatus("server unreachable"); });
  }

  function start() {
    var sf = window.sforce.opencti;
    sf.enableClickToDial({ callback: function () {} });
    sf.onClickToDial({ listener: clickToDial });
    el("sign-in").addEventListener("submit", function (event) {
      event.preventDefault();
      var typed = el("token").value.trim();
      el("token").value = "";
      if (typed) { connect(typed); }
    });
    el("forget").addEventListener("click", function () { signOut("disconnected"); });
    var kept = sessionStorage.getItem(TOKEN_KEY);
    if (kept) { connect(kept); } else { signOut("paste your softphone token"); }
  }

  loadOpenCti(start);
})();
