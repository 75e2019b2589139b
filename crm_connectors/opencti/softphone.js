/*
 * Open CTI adapter: Salesforce <-> our REST and GraphQL APIs (see docs/crm.md).
 *
 * Outgoing: Salesforce click-to-dial -> POST /api/v1/calls {extension, destination}.
 * Incoming: a graphql-transport-ws subscription on /graphql delivers queue events; a
 * CALL_OFFERED for this agent's extension pops the caller's record in Salesforce
 * (sforce.opencti.screenPop with the record id our screen-pop REST found, else
 * searchAndScreenPop on the caller's number).
 *
 * Settings come from the call center definition (getCallCenterSettings): apiBaseUrl and
 * apiToken (a tenant-scoped API token an admin created). The agent's extension is typed
 * once into the panel (kept in localStorage) or given as ?extension= on the adapter URL.
 */
(function () {
  "use strict";

  var OPENCTI_VERSION = "61.0";
  var SALESFORCE_ORIGIN =
    /^https:\/\/[a-z0-9-]+(\.[a-z0-9-]+)*\.(salesforce|force|visualforce|salesforce-setup)\.com$/i;
  var state = { baseUrl: "", token: "", socket: null, retryMs: 1000 };
  var statusEl = document.getElementById("status");
  var extensionEl = document.getElementById("extension");

  function setStatus(text) { statusEl.textContent = text; }

  function extension() { return extensionEl.value.trim(); }

  // Salesforce's own library must come from the org's domain, which it passes to us.
  function loadOpenCti(done) {
    if (window.sforce && window.sforce.opencti) { done(); return; }
    var origin = new URLSearchParams(location.search).get("sfdcIframeOrigin");
    if (!origin) { setStatus("not inside Salesforce"); return; }
    // Anyone can put a link to this page with another origin: loading a script from there
    // would hand a stranger this page's API token. Salesforce's domains only (the CSP agrees).
    if (!SALESFORCE_ORIGIN.test(origin)) { setStatus("refused: not a Salesforce origin"); return; }
    var script = document.createElement("script");
    script.src = origin + "/support/api/" + OPENCTI_VERSION + "/lightning/opencti_min.js";
    script.onload = done;
    document.head.appendChild(script);
  }

  // getCallCenterSettings keys are paths: "/section/item".
  function setting(settings, name) {
    var key = Object.keys(settings).find(function (k) { return k.split("/").pop() === name; });
    return key ? settings[key] : "";
  }

  function api(path, options) {
    options = options || {};
    options.headers = Object.assign(
      { "Authorization": "Bearer " + state.token, "Content-Type": "application/json" },
      options.headers || {});
    return fetch(state.baseUrl + path, options);
  }

  function clickToDial(payload) {
    var destination = String(payload.number || "");
    if (!extension()) { setStatus("enter your extension first"); return; }
    api("/api/v1/calls", {
      method: "POST",
      body: JSON.stringify({ extension: extension(), destination: destination })
    }).then(function (response) {
      setStatus(response.status === 202 ? "dialling " + destination : "dial failed: " + response.status);
    }).catch(function () { setStatus("dial failed: server unreachable"); });
  }

  function popFor(caller) {
    var sf = window.sforce.opencti;
    var fallback = function () {
      sf.searchAndScreenPop({ searchParams: caller, callType: sf.CALL_TYPE.INBOUND, deferred: false });
    };
    api("/api/v1/screen-pop?number=" + encodeURIComponent(caller))
      .then(function (response) { return response.ok ? response.json() : { records: [] }; })
      .then(function (body) {
        var records = Array.isArray(body) ? body : (body.records || []);
        var mine = records.find(function (r) { return (r.source || r.crm) === "salesforce"; });
        var recordId = mine && (mine.id || mine.record_id);
        if (recordId) {
          sf.screenPop({ type: sf.SCREENPOP_TYPE.SOBJECT, params: { recordId: recordId } });
        } else {
          fallback();
        }
      })
      .catch(fallback);
  }

  function onQueueEvent(event) {
    if (!event || event.type !== "CALL_OFFERED" || event.agent !== extension()) { return; }
    document.getElementById("last-call").textContent = "ringing: " + event.caller;
    popFor(event.caller);
  }

  // graphql-transport-ws: connection_init (auth) -> connection_ack -> subscribe -> next...
  function subscribe() {
    var url = state.baseUrl.replace(/^http/, "ws") + "/graphql";
    var socket = new WebSocket(url, "graphql-transport-ws");
    state.socket = socket;
    socket.onopen = function () {
      socket.send(JSON.stringify({
        type: "connection_init", payload: { Authorization: "Bearer " + state.token }
      }));
    };
    socket.onmessage = function (message) {
      var msg = JSON.parse(message.data);
      if (msg.type === "connection_ack") {
        state.retryMs = 1000;
        setStatus("connected");
        socket.send(JSON.stringify({
          id: "queue-events", type: "subscribe",
          payload: { query: "subscription { queueEvents { type callId callCenterId caller agent } }" }
        }));
      } else if (msg.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      } else if (msg.type === "next" && msg.payload && msg.payload.data) {
        onQueueEvent(msg.payload.data.queueEvents);
      } else if (msg.type === "error") {
        setStatus("subscription refused");
      }
    };
    // Reconnect with backoff (the server restarts, the laptop sleeps); max 30 s apart.
    socket.onclose = function () {
      setStatus("reconnecting");
      setTimeout(subscribe, state.retryMs);
      state.retryMs = Math.min(state.retryMs * 2, 30000);
    };
  }

  function start() {
    var params = new URLSearchParams(location.search);
    extensionEl.value = params.get("extension") || localStorage.getItem("cc.extension") || "";
    extensionEl.addEventListener("change", function () {
      localStorage.setItem("cc.extension", extension());
    });
    var sf = window.sforce.opencti;
    sf.getCallCenterSettings({
      callback: function (result) {
        if (!result.success) { setStatus("no call center settings"); return; }
        state.baseUrl = String(setting(result.returnValue, "apiBaseUrl")).replace(/\/$/, "");
        state.token = setting(result.returnValue, "apiToken");
        sf.enableClickToDial({ callback: function () {} });
        sf.onClickToDial({ listener: clickToDial });
        subscribe();
      }
    });
  }

  loadOpenCti(start);
})();
