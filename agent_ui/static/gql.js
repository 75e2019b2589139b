// A small GraphQL client: queries and mutations over HTTP, subscriptions over a websocket
// speaking `graphql-transport-ws` (connection_init/ack, subscribe, next, error, complete,
// ping/pong). The socket reconnects by itself with backoff; each subscription is sent again with
// fresh variables (the caller's `variables()` returns `afterSequence` = last sequence seen), so
// the server replays what was missed while the socket was down.

export class GraphQLError extends Error {
  constructor(message, code, errors) {
    super(message);
    this.name = "GraphQLError";
    this.code = code || "ERROR";
    this.errors = errors || [];
  }
}

export class NetworkError extends Error {
  constructor(message) {
    super(message);
    this.name = "NetworkError";
    this.code = "NETWORK";
  }
}

/** POST a GraphQL document; resolves `data`, rejects GraphQLError / NetworkError. */
export async function graphqlHttp(url, token, query, variables = {}) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new NetworkError(String(error && error.message ? error.message : error));
  }
  let body = null;
  try {
    body = await response.json();
  } catch (_) {
    throw new NetworkError(`HTTP ${response.status}`);
  }
  if (body && Array.isArray(body.errors) && body.errors.length) {
    const first = body.errors[0] || {};
    const code = (first.extensions && first.extensions.code) || "ERROR";
    throw new GraphQLError(String(first.message || code), code, body.errors);
  }
  if (!response.ok) throw new NetworkError(`HTTP ${response.status}`);
  return (body && body.data) || {};
}

const CLOSE_UNAUTHORIZED = new Set([4401, 4403]);

export class SubscriptionClient {
  /**
   * @param {string} url  ws(s)://host/graphql
   * @param {() => string|null} token  current bearer token
   * @param {{onStatus?: (status: string, detail?: any) => void, onAuthFailed?: () => void,
   *          pingIntervalMs?: number, pongTimeoutMs?: number}} options
   */
  constructor(url, token, options = {}) {
    this.url = url;
    this.token = token;
    this.onStatus = options.onStatus || (() => {});
    this.onAuthFailed = options.onAuthFailed || (() => {});
    this.pingIntervalMs = options.pingIntervalMs || 15000;
    this.pongTimeoutMs = options.pongTimeoutMs || 8000;
    this.subscriptions = new Map(); // id -> {query, variables, onNext, onError}
    this.nextId = 1;
    this.socket = null;
    this.acknowledged = false;
    this.attempt = 0;
    this.stopped = true;
    this.timers = { reconnect: null, ping: null, pong: null };
    this.connectedOnce = false;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this._connect();
  }

  stop() {
    this.stopped = true;
    this._clearTimers();
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      try {
        socket.close(1000, "bye");
      } catch (_) {
        /* already closed */
      }
    }
    this.subscriptions.clear();
    this.onStatus("stopped");
  }

  /** Subscribe; `variables` is a function called at every (re)subscribe. Returns unsubscribe. */
  subscribe(query, variables, onNext, onError) {
    const id = String(this.nextId++);
    this.subscriptions.set(id, { query, variables, onNext, onError: onError || (() => {}) });
    if (this.acknowledged) this._sendSubscribe(id);
    return () => {
      if (this.subscriptions.delete(id) && this.acknowledged) this._send({ id, type: "complete" });
    };
  }

  /** Drop the socket as if the network failed (used when the page detects it is stale). */
  reconnectNow() {
    const socket = this.socket;
    if (!socket || this.stopped) return;
    this.socket = null;
    this.acknowledged = false;
    this._clearTimers();
    try {
      socket.close(4000, "reconnect");
    } catch (_) {
      /* already closed */
    }
    this._scheduleReconnect();
  }

  _connect() {
    if (this.stopped) return;
    this.acknowledged = false;
    this.onStatus(this.connectedOnce ? "reconnecting" : "connecting", { attempt: this.attempt });
    let socket;
    try {
      socket = new WebSocket(this.url, "graphql-transport-ws");
    } catch (_) {
      this._scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (socket !== this.socket) return;
      const token = this.token();
      this._send({
        type: "connection_init",
        payload: token ? { Authorization: `Bearer ${token}` } : {},
      });
    };
    socket.onmessage = (event) => {
      if (socket !== this.socket) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (_) {
        return;
      }
      this._handle(message);
    };
    socket.onclose = (event) => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.acknowledged = false;
      this._clearTimers();
      if (this.stopped) return;
      if (CLOSE_UNAUTHORIZED.has(event.code)) {
        this.onStatus("unauthorized", { code: event.code, reason: event.reason });
        this.stopped = true;
        this.onAuthFailed();
        return;
      }
      this._scheduleReconnect();
    };
    socket.onerror = () => {
      /* onclose follows and schedules the reconnect */
    };
  }

  _scheduleReconnect() {
    if (this.stopped) return;
    this.attempt += 1;
    // 0.5 s, 1 s, 2 s, 4 s ... capped at 10 s, with jitter so a restarted server is not stampeded.
    const base = Math.min(10000, 500 * 2 ** Math.min(this.attempt - 1, 5));
    const delay = base / 2 + Math.random() * (base / 2);
    this.onStatus("reconnecting", { attempt: this.attempt, delayMs: delay });
    clearTimeout(this.timers.reconnect);
    this.timers.reconnect = setTimeout(() => this._connect(), delay);
  }

  _handle(message) {
    switch (message.type) {
      case "connection_ack":
        this.acknowledged = true;
        this.attempt = 0;
        this.onStatus(this.connectedOnce ? "resumed" : "connected");
        this.connectedOnce = true;
        for (const id of this.subscriptions.keys()) this._sendSubscribe(id);
        this._schedulePing();
        break;
      case "ping":
        this._send({ type: "pong", ...(message.payload ? { payload: message.payload } : {}) });
        break;
      case "pong":
        clearTimeout(this.timers.pong);
        this.timers.pong = null;
        break;
      case "next": {
        const sub = this.subscriptions.get(message.id);
        if (!sub) return;
        const payload = message.payload || {};
        if (Array.isArray(payload.errors) && payload.errors.length) {
          sub.onError(this._errorOf(payload.errors));
        }
        if (payload.data) sub.onNext(payload.data);
        break;
      }
      case "error": {
        const sub = this.subscriptions.get(message.id);
        if (!sub) return;
        this.subscriptions.delete(message.id);
        sub.onError(this._errorOf(message.payload));
        break;
      }
      case "complete": {
        // The server ended a subscription we still want (e.g. it is shutting down): re-subscribe.
        const sub = this.subscriptions.get(message.id);
        if (sub && this.acknowledged) this._sendSubscribe(message.id);
        break;
      }
      default:
        break;
    }
  }

  _errorOf(errors) {
    const list = Array.isArray(errors) ? errors : [errors || {}];
    const first = list[0] || {};
    const code = (first.extensions && first.extensions.code) || "ERROR";
    return new GraphQLError(String(first.message || code), code, list);
  }

  _sendSubscribe(id) {
    const sub = this.subscriptions.get(id);
    if (!sub) return;
    const variables = typeof sub.variables === "function" ? sub.variables() : sub.variables;
    this._send({ id, type: "subscribe", payload: { query: sub.query, variables: variables || {} } });
  }

  _schedulePing() {
    clearTimeout(this.timers.ping);
    this.timers.ping = setTimeout(() => {
      if (!this.acknowledged) return;
      this._send({ type: "ping" });
      // No pong in time: the connection is dead even if the browser has not noticed yet.
      this.timers.pong = setTimeout(() => this.reconnectNow(), this.pongTimeoutMs);
      this._schedulePing();
    }, this.pingIntervalMs);
  }

  _clearTimers() {
    for (const key of Object.keys(this.timers)) {
      clearTimeout(this.timers[key]);
      this.timers[key] = null;
    }
  }

  _send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }
}
