// The live connection shared by the dispatch board and the responder's phone.
//
// Protocol: the socket says "hello" once subscribed; the page then loads the
// REST snapshot, which carries, per group, the last sequence number already
// included. Events at or below it are dropped, later ones applied in order;
// a gap (an event numbered past last+1) triggers a fresh snapshot. Numbers are
// only comparable within one epoch (the counter store's identity, which changes
// when Redis restarts empty and the counters start again at 1): an event or a
// heartbeat from another epoch triggers a fresh snapshot too. Every few seconds
// the server sends a heartbeat frame with the current epoch and numbers, so a
// missed last event is noticed within seconds. The page always says plainly whether it is live, reconnecting or offline since when,
// and reconnects with exponential backoff.
(function () {
  "use strict";

  function pad(n) { return String(n).padStart(2, "0"); }
  // Times in the centre's zone (TIME_ZONE, in base.html's meta), as the server prints them, not the device's:
  // a laptop or phone set to another zone must not show a different hour from the call page beside it.
  const zoneMeta = document.querySelector('meta[name="time-zone"]');
  let zoneFormat = null;
  try {
    if (zoneMeta && zoneMeta.content) {
      zoneFormat = new Intl.DateTimeFormat("en-GB", {
        timeZone: zoneMeta.content, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
      });
    }
  } catch (e) { zoneFormat = null; }  // an unknown zone name: fall back to the device's clock
  function hms(d) {
    if (!zoneFormat) return [d.getHours(), d.getMinutes(), d.getSeconds()];
    const p = {};
    for (const part of zoneFormat.formatToParts(d)) p[part.type] = part.value;
    return [Number(p.hour) % 24, Number(p.minute), Number(p.second)];
  }
  function hhmm(d) { const t = hms(d); return pad(t[0]) + ":" + pad(t[1]); }
  function hhmmss(d) { const t = hms(d); return pad(t[0]) + ":" + pad(t[1]) + ":" + pad(t[2]); }
  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? h + ":" + pad(m) : m) + ":" + pad(r);
  }
  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function csrfToken() {
    const meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }
  function errorText(status, data) {
    if (data && typeof data === "object") {
      if (typeof data.detail === "string") return data.detail;
      for (const key in data) {
        const v = data[key];
        if (Array.isArray(v) && v.length) return key + ": " + v[0];
        if (typeof v === "string") return v;
      }
    }
    return "The server answered " + status + ".";
  }
  // JSON API call. Resolves {ok, status, data, error}; rejects only when the network is down.
  // passive: the page makes this call by itself, so it is no sign of a user (crisis IdleTimeoutMiddleware).
  // idempotencyKey: the same key on every attempt of one action, so a retry after a lost answer
  // gets the first answer instead of making the change twice (crisis/idempotency.py).
  function api(method, url, body, passive, idempotencyKey) {
    const opts = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (passive) opts.headers["X-Idle-Passive"] = "1";
    if (idempotencyKey) opts.headers["Idempotency-Key"] = idempotencyKey;
    if (method !== "GET") {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRFToken"] = csrfToken();
      opts.body = JSON.stringify(body || {});
    }
    return fetch(url, opts).then(function (r) {
      return r.text().then(function (text) {
        let data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { ok: r.ok, status: r.status, data: data, error: r.ok ? "" : errorText(r.status, data) };
      });
    });
  }

  const CLOSE_SIGNED_OUT = 4401, CLOSE_FORBIDDEN = 4403;
  const PING_MS = 20000, DEAD_MS = 50000, MAX_BACKOFF_MS = 15000;
  // An event numbered by the server may still be on its way when a heartbeat reports its number.
  const BEHIND_GRACE_MS = 1500;

  function Live(opts) {
    this.opts = opts;
    this.state = "connecting";
    this.since = new Date();
    this.lastSeq = {};
    this.epoch = null;
    this.oldEpochs = {};
    this.behindTimer = null;
    this.buffer = [];
    this.syncing = false;
    this.resyncWanted = false;
    this.attempt = 0;
    this.syncCount = 0;
    this.clockOffset = 0;
    this.ws = null;
    this.timer = null;
    this.lastMessageAt = Date.now();
    const self = this;
    window.addEventListener("online", function () { self.reconnectNow(); });
    window.addEventListener("offline", function () {
      self.setState("offline");
      if (self.ws) self.ws.close();
    });
    setInterval(function () { self.heartbeat(); }, 5000);
    this.sync();
    this.open();
  }

  Live.prototype.serverNow = function () { return Date.now() + this.clockOffset; };

  Live.prototype.setState = function (state) {
    if (state !== "live" && this.state === "live") this.since = new Date();
    if (state === "live") this.since = null;
    this.state = state;
    const el = this.opts.stateEl;
    let text = "Live";
    if (state === "connecting") text = "Connecting…";
    if (state === "reconnecting") text = "Reconnecting… (not live since " + hhmmss(this.since || new Date()) + ")";
    if (state === "offline") text = "Offline since " + hhmm(this.since || new Date());
    if (state === "signed-out") text = "Signed out";
    if (state === "forbidden") text = "No live updates for your role";
    if (el) {
      el.textContent = text;
      el.dataset.state = state;
      el.title = state === "live" ? "Receiving changes as they happen" : "This screen may be out of date";
    }
    // A second connection on a page (the phone's escalations) leaves the page's live/stale look to the first.
    if (!this.opts.quiet) document.body.classList.toggle("not-live", state !== "live");
    if (this.opts.onState) this.opts.onState(state);
  };

  Live.prototype.open = function () {
    const self = this;
    clearTimeout(this.timer);
    // navigator.onLine is only a hint (and may lag the "online" event): always try, back off on failure.
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    let ws;
    try { ws = new WebSocket(proto + location.host + (this.opts.socketPath || "/ws/board/")); } catch (e) { this.scheduleReconnect(); return; }
    this.ws = ws;
    ws.onmessage = function (e) {
      self.lastMessageAt = Date.now();
      let msg;
      try { msg = JSON.parse(e.data); } catch (err) { return; }
      if (msg.kind === "hello") { self.attempt = 0; self.sync(); return; }
      if (msg.kind === "pong") return;
      if (msg.kind === "heartbeat") { self.checkPosition(msg); if (self.opts.onHeartbeat) self.opts.onHeartbeat(msg); return; }
      self.receive(msg);
    };
    ws.onclose = function (e) {
      if (self.ws !== ws) return;
      self.ws = null;
      if (e.code === CLOSE_SIGNED_OUT) {
        self.setState("signed-out");
        location.href = "/login/?next=" + encodeURIComponent(location.pathname);
        return;
      }
      if (e.code === CLOSE_FORBIDDEN) { self.setState("forbidden"); return; }
      self.scheduleReconnect();
    };
  };

  Live.prototype.scheduleReconnect = function () {
    const self = this;
    this.setState(navigator.onLine && this.attempt < 3 ? "reconnecting" : "offline");
    const delay = Math.min(MAX_BACKOFF_MS, 500 * Math.pow(2, this.attempt)) * (0.75 + Math.random() / 2);
    this.attempt += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.open(); }, delay);
  };

  Live.prototype.reconnectNow = function () {
    this.attempt = 0;
    clearTimeout(this.timer);
    if (this.ws && this.ws.readyState <= 1) return;
    this.open();
  };

  Live.prototype.heartbeat = function () {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) return;
    // A half-open socket looks alive but delivers nothing: ping, and give up on it if nothing comes back.
    if (Date.now() - this.lastMessageAt > DEAD_MS) { ws.close(); return; }
    if (Date.now() - this.lastMessageAt > PING_MS) ws.send(JSON.stringify({ kind: "ping" }));
  };

  Live.prototype.receive = function (msg) {
    if (this.syncing) { this.buffer.push(msg); return; }
    if (msg.epoch && msg.epoch !== this.epoch) {
      if (this.oldEpochs[msg.epoch]) return; // late, from before a restart the snapshot already covers
      // The counters were reset (Redis restarted): numbers from before mean nothing now.
      this.buffer.push(msg);
      this.sync();
      return;
    }
    const group = msg.group;
    const last = this.lastSeq[group];
    if (last !== undefined && msg.seq <= last) return; // already in the snapshot
    if (last !== undefined && msg.seq > last + 1) {
      // A gap: something was missed. Start again from a snapshot.
      this.buffer.push(msg);
      this.sync();
      return;
    }
    this.lastSeq[group] = msg.seq;
    this.opts.onEvent(msg);
  };

  // A heartbeat frame: {epoch, seq: {group: last number sent}}. Resync if the epoch changed, if a
  // counter went backwards, or if we are still behind a little later (the event never came).
  Live.prototype.checkPosition = function (frame) {
    if (this.syncing || !frame.seq || this.epoch === null) return;
    if (frame.epoch && frame.epoch !== this.epoch) { this.sync(); return; }
    const self = this;
    let behind = false;
    for (const group of Object.keys(frame.seq)) {
      const last = this.lastSeq[group] || 0;
      if (frame.seq[group] < last) { this.sync(); return; }
      if (frame.seq[group] > last) behind = true;
    }
    if (!behind || this.behindTimer) return;
    this.behindTimer = setTimeout(function () {
      self.behindTimer = null;
      for (const group of Object.keys(frame.seq)) {
        if (frame.seq[group] > (self.lastSeq[group] || 0)) { self.sync(); return; }
      }
    }, BEHIND_GRACE_MS);
  };

  Live.prototype.sync = function () {
    const self = this;
    if (this.syncing) { this.resyncWanted = true; return; }
    this.syncing = true;
    const started = Date.now();
    api("GET", this.opts.snapshotUrl, null, true).then(function (res) {
      if (!res.ok) throw new Error(res.error);
      const data = res.data;
      self.clockOffset = Date.parse(data.now) - (started + Date.now()) / 2;
      self.lastSeq = Object.assign({}, data.seq || {});
      if (self.epoch && data.epoch !== self.epoch) self.oldEpochs[self.epoch] = true;
      self.epoch = data.epoch || null;
      self.syncCount += 1;
      self.opts.onSnapshot(data);
      self.finishSync();
    }).catch(function () {
      self.syncing = false;
      self.buffer = [];
      self.resyncWanted = false;
      if (self.ws) self.ws.close(); // reconnect (with backoff) and sync again on hello
      else self.scheduleReconnect();
    });
  };

  Live.prototype.finishSync = function () {
    this.syncing = false;
    const pending = this.buffer.sort(function (a, b) { return a.seq - b.seq; });
    this.buffer = [];
    if (this.resyncWanted) { this.resyncWanted = false; this.sync(); return; }
    for (const msg of pending) this.receive(msg);
    if (!this.syncing && this.ws && this.ws.readyState === 1) this.setState("live");
  };

  window.CrisisLive = {
    connect: function (opts) { return new Live(opts); },
    api: api,
    esc: esc,
    duration: duration,
    hhmm: hhmm,
    hhmmss: hhmmss,
  };
})();
