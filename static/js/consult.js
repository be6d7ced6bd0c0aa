// Officer consults, live: the officer's tablet (request in two taps, follow, talk) and the clinician's or
// supervisor's desk (accept, talk, close with the outcome), over live.js's protocol (snapshot + numbered events).
//
// Every event carries the whole consult row, so a card is upserted from it; the server decides who may do
// what, the buttons only follow the row's `actions` and who this user is.
(function () {
  "use strict";
  const L_ = window.CrisisLive;
  const esc = L_.esc;
  const app = document.getElementById("consult-app");
  const $ = function (id) { return document.getElementById(id); };
  const outcomes = JSON.parse($("outcomes").textContent);
  const opts = {
    officer: app.dataset.officer === "1",
    answers: app.dataset.answers === "1",
    supervisor: app.dataset.supervisor === "1",
    apiBase: app.dataset.apiBase,
    historyUrl: app.dataset.historyUrl,
  };
  let me = null;
  const consults = new Map();
  let alerts = [];
  let position = null;

  function time(iso) { return iso ? L_.hhmm(new Date(iso)) : ""; }

  // --- the officer's request --------------------------------------------------------
  function locate() {
    const place = $("place");
    if (!place) return;
    if (!navigator.geolocation) { noPosition("This device cannot share its position: type the address."); return; }
    navigator.geolocation.getCurrentPosition(function (p) {
      position = { latitude: p.coords.latitude, longitude: p.coords.longitude, accuracy_m: Math.round(p.coords.accuracy) };
      place.dataset.state = "found";
      place.textContent = "Your position: " + position.latitude.toFixed(5) + ", " + position.longitude.toFixed(5) +
        " (±" + position.accuracy_m + " m)";
      // The same position in words, so the officer sees at a glance that it is right.
      if (app.dataset.reverseUrl) {
        const q = new URLSearchParams({ lat: position.latitude.toFixed(6), lon: position.longitude.toFixed(6) });
        fetch(app.dataset.reverseUrl + "?" + q, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : null; }, function () { return null; })
          .then(function (body) {
            if (body && body.words && position) place.textContent = "Your position: " + body.words + " (±" + position.accuracy_m + " m)";
          });
      }
    }, function (err) {
      noPosition(err && err.code === 1 ? "Location is off for this page: type the address where you are."
        : "No position from this device: type the address.");
    },
    { enableHighAccuracy: true, timeout: 10000, maximumAge: 30000 });
  }
  function noPosition(text) {
    position = null;
    const place = $("place");
    place.dataset.state = "missing";
    place.textContent = text;
    $("address").required = true;
  }

  function setupRequest() {
    const form = $("request-form");
    if (!form) return;
    let need = "";
    form.querySelectorAll("button.need").forEach(function (b) {
      b.addEventListener("click", function () {
        need = b.dataset.need;
        form.querySelectorAll("button.need").forEach(function (o) { o.setAttribute("aria-pressed", String(o === b)); });
      });
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      const error = $("request-error");
      error.hidden = true;
      const body = { need: need, description: $("description").value, address: $("address").value };
      if (position) Object.assign(body, position);
      if (!need) { showError("Choose what you need."); return; }
      $("send").disabled = true;
      L_.api("POST", opts.apiBase, body).then(function (res) {
        $("send").disabled = false;
        if (!res.ok) { showError(res.error); return; }
        upsert(res.data);
        $("description").value = "";
        need = "";
        form.querySelectorAll("button.need").forEach(function (o) { o.setAttribute("aria-pressed", "false"); });
      }, function () { $("send").disabled = false; showError("No connection: the request was not sent."); });
    });
    function showError(text) { error().textContent = text; error().hidden = false; }
    function error() { return $("request-error"); }
  }

  // --- cards ------------------------------------------------------------------------
  function upsert(row) {
    const old = consults.get(row.id);
    if (old && old.version > row.version) return;
    consults.set(row.id, row);
    render();
  }

  function mayAccept(c) {
    if (!c.actions.accept || !opts.answers) return false;
    if (opts.supervisor) return true;
    return c.clinician.id === me.id || (c.escalated_at && c.backup.id === me.id);
  }
  function handles(c) { return c.assigned_to && c.assigned_to.id === me.id; }
  function mayWrite(c) {
    return c.actions.message && (c.officer.id === me.id || handles(c) || opts.supervisor);
  }
  function mayClose(c) { return c.actions.close && (handles(c) || opts.supervisor); }

  function who(c) {
    if (c.assigned_to) return "Handled by " + esc(c.assigned_to.name);
    if (c.status === "escalated") return "Waiting — backup " + esc(c.backup.name) + " and supervisors called";
    if (c.status === "requested") return "Waiting for " + esc(c.clinician.name) + " (on call)";
    return "";
  }

  // The team the clinician sent: which one, and when it should be there (counted down here between events).
  function etaText(iso) {
    const minutes = Math.round((new Date(iso).getTime() - Date.now()) / 60000);
    if (minutes <= 0) return "arriving now";
    return "about " + minutes + " min (" + time(iso) + ")";
  }
  function teamHtml(t) {
    const p = ['<section class="team-eta" data-role="team" data-state="'];
    let state = "searching";
    let head = "";
    let line = "";
    if (!t.call_open && !t.arrived_at) {
      state = "over";
      head = "Team request: " + esc(t.call_status_label);
    } else if (!t.name) {
      head = "Team requested — finding the nearest team";
      line = "Dispatch call #" + t.call_id + " · " + esc(t.call_status_label);
    } else if (t.arrived_at) {
      state = "arrived";
      head = esc(t.name) + " is on scene";
      line = "Arrived " + time(t.arrived_at);
    } else {
      state = t.accepted ? "coming" : "offered";
      head = t.accepted ? esc(t.name) + " is on its way" : esc(t.name) + " is being asked to come";
      if (t.eta_at) {
        line = 'ETA <strong data-role="eta" data-eta="' + esc(t.eta_at) + '">' + etaText(t.eta_at) + "</strong>" +
          (t.eta_source === "position" ? " · from its position at " + time(t.located_at)
            : " · routing estimate (no recent position)");
      } else {
        line = "ETA unknown: no position for the team yet";
      }
    }
    p.push(state + '"><h3>' + head + "</h3>" + (line ? "<p>" + line + "</p>" : "") + "</section>");
    return p.join("");
  }

  function cardHtml(c) {
    const parts = [];
    parts.push('<header class="row-between"><h2>Consult #' + c.id + " · " + esc(c.need_label) + "</h2>" +
      '<span class="status-pill s-' + esc(c.status) + '" data-role="status">' + esc(c.status_label) + "</span></header>");
    parts.push('<p class="who" data-role="who">' + who(c) + "</p>");
    const where = c.address || (c.latitude != null ? c.latitude.toFixed(5) + ", " + c.longitude.toFixed(5) : "");
    parts.push('<p class="meta">' + time(c.requested_at) + " · " + esc(c.officer.name) + (where ? " · " + esc(where) : "") + "</p>");
    if (c.description) parts.push('<p class="desc">' + esc(c.description) + "</p>");
    if (c.status === "requested" && c.escalate_at) {
      parts.push('<p class="muted">Goes to the backup and supervisors at ' + time(c.escalate_at) + " if unanswered.</p>");
    }
    if (c.video.live || c.video.seconds) {
      parts.push('<p class="video-line" data-role="video">' +
        (c.video.live ? '<strong>' + (c.video.connected ? "On video now" : "Video call open: join it") + "</strong>" : "") +
        (c.video.live && c.video.seconds ? " · " : "") +
        (c.video.seconds ? "On video " + L_.duration(c.video.seconds) + " so far" : "") + "</p>");
    }
    if (c.team) parts.push(teamHtml(c.team));
    if (c.person) parts.push('<p class="person">About: <strong>' + esc(c.person.name) + "</strong></p>");
    if (c.officer_plan) {
      parts.push('<section class="plan" data-role="officer-plan"><h3>Response plan (officer view)</h3><dl class="facts">' +
        "<dt>Triggers</dt><dd>" + esc(c.officer_plan.triggers || "—") + "</dd>" +
        "<dt>What helps</dt><dd>" + esc(c.officer_plan.what_helps || "—") + "</dd>" +
        "<dt>Who to call</dt><dd>" + esc(c.officer_plan.who_to_call || "—") + "</dd></dl></section>");
    }
    if (c.outcome) {
      parts.push('<p class="outcome" data-role="outcome">Outcome: <strong>' + esc(c.outcome_label) + "</strong>" +
        (c.outcome_note ? " — " + esc(c.outcome_note) : "") + "</p>");
    }
    parts.push('<ol class="thread" data-role="thread">' + c.messages.map(function (m) {
      const mine = m.author.id === me.id;
      return '<li class="msg' + (mine ? " mine" : "") + '"><span class="by">' + esc(mine ? "You" : m.author.name) +
        " · " + time(m.at) + '</span><span class="text">' + esc(m.text) + "</span></li>";
    }).join("") + "</ol>");
    return parts.join("");
  }

  function formsHtml(c) {
    const p = [];
    p.push('<div class="actions">');
    p.push('<button type="button" class="primary" data-act="accept">Accept</button>');
    p.push('<button type="button" data-act="cancel">Cancel request</button>');
    p.push('<a class="button primary" data-act="video" href="' + esc(c.video.url) + '">Video call</a>');
    p.push('<button type="button" data-act="team">Send a team to the officer</button>');
    if (opts.historyUrl) {
      p.push('<a class="button" data-act="lookup" href="' + esc(opts.historyUrl) + "?purpose=" +
        encodeURIComponent("Officer consult #" + c.id) + '" target="_blank" rel="noopener">Look up the person</a>');
    }
    p.push("</div>");
    p.push('<form class="msg-form" data-act="message" novalidate><label for="msg-' + c.id + '">Message</label>' +
      '<div class="inline-row"><input id="msg-' + c.id + '" name="text" maxlength="2000" autocomplete="off">' +
      '<button type="submit" class="primary">Send</button></div></form>');
    p.push('<form class="person-form" data-act="person" novalidate><label for="person-' + c.id + '">Person record # (from the lookup)</label>' +
      '<div class="inline-row"><input id="person-' + c.id + '" name="person" inputmode="numeric">' +
      '<button type="submit">Link</button></div></form>');
    p.push('<form class="close-form" data-act="close" novalidate><label for="outcome-' + c.id + '">Outcome</label>' +
      '<select id="outcome-' + c.id + '" name="outcome"><option value="">Choose…</option>' +
      outcomes.map(function (o) { return '<option value="' + esc(o[0]) + '">' + esc(o[1]) + "</option>"; }).join("") +
      '</select><label for="note-' + c.id + '">Note</label><input id="note-' + c.id + '" name="note" maxlength="4000">' +
      '<button type="submit" class="primary">Close with this outcome</button></form>');
    p.push('<p class="error" role="alert" data-role="error" hidden></p>');
    return p.join("");
  }

  function ensureCard(c) {
    let card = document.querySelector('article[data-consult="' + c.id + '"]');
    if (card) return card;
    card = document.createElement("article");
    card.className = "card consult";
    card.dataset.consult = c.id;
    card.innerHTML = '<div class="view"></div><div class="forms">' + formsHtml(c) + "</div>";
    wire(card, c.id);
    return card;
  }

  function render() {
    if (!me) return; // the snapshot says who this is; it comes first
    const list = $("consults");
    const rows = Array.from(consults.values()).sort(function (a, b) {
      const open = function (r) { return ["requested", "escalated", "accepted"].indexOf(r.status) >= 0 ? 0 : 1; };
      return open(a) - open(b) || b.id - a.id;
    });
    const empty = list.querySelector(".empty");
    if (empty) empty.hidden = rows.length > 0;
    rows.forEach(function (c, i) {
      const card = ensureCard(c);
      // The team's progress moves without the consult changing (its version): it is part of the key.
      const key = c.version + "|" + JSON.stringify(c.team);
      if (card.dataset.key !== key) {
        card.querySelector(".view").innerHTML = cardHtml(c);
        card.dataset.key = key;
      }
      card.dataset.status = c.status;
      card.classList.toggle("escalated", c.status === "escalated");
      const show = function (sel, on) { const el = card.querySelector(sel); if (el) el.hidden = !on; };
      show('[data-act="accept"]', mayAccept(c));
      show('[data-act="cancel"]', c.actions.cancel && c.officer.id === me.id);
      show('[data-act="video"]', c.actions.video && (c.officer.id === me.id || handles(c)));
      show('[data-act="team"]', c.actions.send_team && (handles(c) || opts.supervisor));
      show('[data-act="lookup"]', opts.answers && c.status === "accepted" && (handles(c) || opts.supervisor));
      show('[data-act="message"]', mayWrite(c));
      show('[data-act="person"]', c.actions.link_person && (handles(c) || opts.supervisor));
      show('[data-act="close"]', mayClose(c));
      if (list.children[i + 1] !== card) list.insertBefore(card, list.children[i + 1] || null);
    });
    renderAlerts();
  }

  function renderAlerts() {
    const el = $("alerts");
    if (!el) return;
    el.innerHTML = alerts.length ? alerts.slice().reverse().map(function (a) {
      return '<li class="alert" data-alert="' + a.id + '"><strong>Break the glass</strong> · ' + time(a.at) + " · " +
        esc(a.by) + " opened " + esc(a.person) + "'s clinical history — “" + esc(a.reason) + "” (purpose: " +
        esc(a.purpose) + ")</li>";
    }).join("") : '<li class="muted">None.</li>';
  }

  function wire(card, id) {
    const url = function (action) { return opts.apiBase + id + "/" + action + "/"; };
    const errorEl = function () { return card.querySelector('[data-role="error"]'); };
    function send(action, body, done) {
      errorEl().hidden = true;
      L_.api("POST", url(action), body).then(function (res) {
        if (!res.ok) { errorEl().textContent = res.error; errorEl().hidden = false; return; }
        upsert(res.data);
        if (done) done();
      }, function () { errorEl().textContent = "No connection: not sent."; errorEl().hidden = false; });
    }
    card.querySelector('[data-act="accept"]').addEventListener("click", function () { send("accept", {}); });
    card.querySelector('[data-act="cancel"]').addEventListener("click", function () { send("cancel", {}); });
    card.querySelector('[data-act="team"]').addEventListener("click", function () { send("team", {}); });
    card.querySelector('[data-act="message"]').addEventListener("submit", function (e) {
      e.preventDefault();
      const input = e.target.elements.text;
      if (!input.value.trim()) return;
      send("messages", { text: input.value }, function () { input.value = ""; });
    });
    card.querySelector('[data-act="person"]').addEventListener("submit", function (e) {
      e.preventDefault();
      const value = parseInt(e.target.elements.person.value, 10);
      send("person", { person: isNaN(value) ? null : value });
    });
    card.querySelector('[data-act="close"]').addEventListener("submit", function (e) {
      e.preventDefault();
      send("close", { outcome: e.target.elements.outcome.value, note: e.target.elements.note.value });
    });
  }

  setupRequest();
  locate();
  // The ETA counts down between the server's updates (a position report, the team's progress).
  setInterval(function () {
    document.querySelectorAll('[data-role="eta"]').forEach(function (el) { el.textContent = etaText(el.dataset.eta); });
  }, 15000);
  L_.connect({
    snapshotUrl: app.dataset.snapshotUrl,
    socketPath: app.dataset.socketPath,
    stateEl: $("conn"),
    onSnapshot: function (data) {
      me = data.me;
      consults.clear();
      data.consults.forEach(function (c) { consults.set(c.id, c); });
      // Cards stay (a message being typed survives a resync); those no longer in the snapshot go.
      document.querySelectorAll("article[data-consult]").forEach(function (el) {
        if (!consults.has(Number(el.dataset.consult))) el.remove();
        else delete el.dataset.key;
      });
      alerts = data.alerts || [];
      render();
    },
    onEvent: function (ev) {
      if (ev.kind === "consult.updated") upsert(ev.data);
      if (ev.kind === "history.break_glass") {
        if (!alerts.some(function (a) { return a.id === ev.data.id; })) alerts.push(ev.data);
        renderAlerts();
      }
    },
  });
})();
