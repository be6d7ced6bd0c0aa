// The responder's phone: shift, offer, assignment, one-tap status changes, notes, location, SOS.
//
// Status taps go through a queue kept in localStorage and are sent strictly in
// order: offline, they wait and the screen shows them as pending; when the
// connection returns they are replayed. Each carries the state it was made
// against (expected_status / expected_version), so the server refuses a stale
// or out-of-order tap with a 409 that is shown here, and the rest of the queue
// (made on the same stale view) is dropped rather than applied blindly.
(function () {
  "use strict";
  const L_ = window.CrisisLive;
  const esc = L_.esc;
  const labels = JSON.parse(document.getElementById("labels").textContent);
  const teamId = JSON.parse(document.getElementById("team-id").textContent);
  const QUEUE_KEY = "crisis.taps." + labels.user + "." + teamId;

  let snap = { team: null, assignment: null, call: null, alerts: [] };
  let live = null;
  let lastPosition = null;
  let lastSentAt = null;
  let locationProblem = "";
  let flushing = false;
  let declining = false;

  const $ = function (id) { return document.getElementById(id); };

  // --- the tap queue -------------------------------------------------------------
  function loadQueue() { try { return JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]"); } catch (e) { return []; } }
  function saveQueue(q) { localStorage.setItem(QUEUE_KEY, JSON.stringify(q)); renderQueueLine(); }
  let queue = loadQueue();
  // Each queued tap keeps one Idempotency-Key for all its attempts (stored with it, so a reload keeps it
  // too): the server may have committed a tap whose answer never arrived, and its replay must not repeat it.
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }
  for (const item of queue) if (!item.key) item.key = newKey(); // taps queued before keys existed

  // --- one-off actions: accept, decline, SOS ----------------------------------------
  // They are not queued (an offer expires; an SOS sent an hour late helps nobody), but they are retried with one
  // Idempotency-Key per action: when the server acted and its answer was lost, the retry gets that first answer
  // (crisis/idempotency.py) instead of a 409 "already accepted" or a second SOS. The key is kept until an answer
  // arrives, so the responder's own second tap on the same action is a retry too.
  const ACCEPT_TRIES = 3, SOS_TRIES = 6, RETRY_MS = 1500;
  const actionKeys = {};
  let sosPresses = 0;
  function once(action, url, body, tries, onRetry) {
    const key = actionKeys[action] || (actionKeys[action] = newKey());
    let attempt = 0;
    function again(reason) {
      attempt += 1;
      if (attempt >= tries) return Promise.reject(reason);
      if (onRetry) onRetry(attempt);
      return new Promise(function (resolve) { setTimeout(resolve, RETRY_MS * attempt); }).then(send);
    }
    function send() {
      return L_.api("POST", url, body, false, key).then(function (res) {
        // 5xx: the server's trouble (e.g. 503 "retry with the same key"): the change is not known to be made.
        if (res.status >= 500) return attempt + 1 >= tries ? res : again(res);
        delete actionKeys[action]; // answered: a new tap is a new action
        return res;
      }, again);
    }
    return send();
  }

  function applyEffect(effect) {
    if (!effect) return;
    if (effect.type === "call_status" && snap.call && snap.call.id === effect.call_id) snap.call.status = effect.status;
    if (effect.type === "call_cleared" && snap.call && snap.call.id === effect.call_id) { snap.call = null; snap.assignment = null; }
    if (effect.type === "team_status" && snap.team) { snap.team.status = effect.status; snap.team.version += 1; }
    if (effect.type === "note" && snap.call && snap.call.id === effect.call_id) {
      snap.call.notes = (snap.call.notes || []).concat([{ at: new Date().toISOString(), by: labels.user, text: effect.text, pending: true }]);
    }
  }

  function tap(item) {
    item.id = Date.now() + "-" + Math.random().toString(36).slice(2, 7);
    item.key = newKey();
    queue.push(item);
    saveQueue(queue);
    applyEffect(item.effect);
    render();
    flush();
  }

  function flush() {
    if (flushing || !queue.length) return;
    flushing = true;
    const item = queue[0];
    L_.api("POST", item.url, item.body, false, item.key).then(function (res) {
      flushing = false;
      if (res.ok) {
        queue.shift();
        saveQueue(queue);
        flush();
        if (!queue.length) live.sync();
        return;
      }
      if (res.status >= 500) { setTimeout(flush, 5000); return; } // the server's trouble: try again
      const dropped = queue.length - 1;
      queue = [];
      saveQueue(queue);
      showMessage("“" + item.label + "” was not applied: " + res.error +
        (dropped ? " " + dropped + " later change" + (dropped > 1 ? "s were" : " was") + " not sent." : ""));
      live.sync();
    }).catch(function () {
      flushing = false; // offline: keep the queue; "online" or the retry timer sends it
      renderQueueLine();
    });
  }
  window.addEventListener("online", flush);
  setInterval(flush, 5000);

  function renderQueueLine() {
    const el = $("queue-line");
    if (!queue.length) { el.hidden = true; return; }
    el.hidden = false;
    el.textContent = queue.length + " change" + (queue.length > 1 ? "s" : "") + " waiting to be sent: " +
      queue.map(function (q) { return q.label; }).join(", ") + (navigator.onLine ? " (sending…)" : " (offline)");
  }

  function showMessage(text) {
    const el = $("message");
    el.textContent = text;
    el.hidden = !text;
  }

  // --- rendering -----------------------------------------------------------------
  function button(label, attrs, cls, type) {
    return '<button type="' + (type || "button") + '" class="big ' + (cls || "") + '" ' + attrs + ">" + esc(label) + "</button>";
  }

  function renderShift() {
    const t = snap.team;
    if (!t) return;
    const pill = $("team-status");
    pill.textContent = labels.team_status[t.status] || t.status;
    pill.dataset.status = t.status;
    let html = "";
    const allowed = t.actions || [];
    const texts = SHIFT_BUTTONS[t.status] || {};
    // Keep the primary action first, as before: a tired thumb finds it in the same place.
    const ordered = allowed.slice().sort(function (a, b) { return (texts[b] && texts[b][1] ? 1 : 0) - (texts[a] && texts[a][1] ? 1 : 0); });
    html = ordered.map(function (s) {
      const text = texts[s] || [labels.team_status[s] || s, ""];
      return button(text[0], 'data-team-status="' + s + '"', text[1]);
    }).join("");
    if (!allowed.length) html = '<p class="small muted">On a call: finish it before changing shift.</p>';
    $("shift-actions").innerHTML = html;
  }

  function flagsHtml(flags) {
    if (!flags || !flags.length) return '<p class="small muted">No risk flags recorded.</p>';
    return '<ul class="flags">' + flags.map(function (f) {
      return '<li class="flag-item ' + (f.danger ? "danger" : "caution") + '" data-flag="' + esc(f.code) + '">' + (f.danger ? "⚠ " : "") + esc(f.label) + "</li>";
    }).join("") + "</ul>";
  }

  // No free team spoke the caller's language, so this team got the call: say it before they knock (interpreter.py).
  function interpreterHtml(c) {
    if (!c.interpreter_line) return "";
    const number = c.interpreter_line_number
      ? ' <a class="tel" href="tel:' + esc(c.interpreter_line_number.replace(/[^0-9+]/g, "")) + '">' + esc(c.interpreter_line_number) + "</a>"
      : "";
    return '<p class="interpreter badge warn" data-interpreter="' + esc(c.language) + '">Interpreter line: the person speaks ' +
      esc(c.interpreter_line) + ", no one on the team does." + number + "</p>";
  }

  function mapLinks(c) {
    const q = encodeURIComponent(c.address);
    if (c.latitude != null) {
      const ll = c.latitude + "," + c.longitude;
      return '<a class="button big maps" href="geo:' + ll + "?q=" + ll + "(" + q + ')">Open in maps</a>' +
        ' <a class="small" href="https://www.openstreetmap.org/?mlat=' + c.latitude + "&mlon=" + c.longitude + "#map=17/" + c.latitude + "/" + c.longitude + '" target="_blank" rel="noopener">web map</a>';
    }
    return '<a class="button big maps" href="geo:0,0?q=' + q + '">Open in maps</a>';
  }

  // Redraw a card only when its content changed, keeping what the responder is typing or choosing
  // (an event arriving mid-note must not wipe the note).
  function paint(box, html) {
    if (box.dataset.html === html) return;
    const kept = {};
    for (const el of box.querySelectorAll("input[id], select[id], textarea[id]")) kept[el.id] = { value: el.value, hidden: el.hidden };
    const focused = document.activeElement && box.contains(document.activeElement) ? document.activeElement.id : null;
    box.innerHTML = html;
    box.dataset.html = html;
    for (const id in kept) {
      const el = document.getElementById(id);
      if (!el) continue;
      if (el.tagName !== "SELECT" || [...el.options].some(function (o) { return o.value === kept[id].value; })) el.value = kept[id].value;
      if (el.id === "decline-other") el.hidden = kept[id].hidden;
    }
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  }

  function renderOffer() {
    const box = $("offer");
    const a = snap.assignment, c = snap.call;
    if (!a || a.status !== "offered" || !c) { box.hidden = true; paint(box, ""); declining = false; return; }
    box.hidden = false;
    const reasons = labels.decline_reasons.map(function (r) { return '<option value="' + esc(r) + '">' + esc(r) + "</option>"; }).join("");
    paint(box,
      '<h2>New call offered <span class="countdown" data-until="' + esc(a.expires_at) + '"></span></h2>' +
      flagsHtml(c.flags) + interpreterHtml(c) +
      '<p class="nature"><strong>#' + c.id + " · " + esc(c.nature) + "</strong><br>" + esc(c.call_type_label) + (c.priority ? " · P" + c.priority : "") + "</p>" +
      '<p class="address">' + esc(c.address) + "</p>" +
      (a.eta_seconds != null ? '<p class="small">Estimated ' + Math.round(a.eta_seconds / 60) + " min away</p>" : "") +
      button("Accept", 'id="accept" data-assignment="' + a.id + '"', "primary accept") +
      (declining
        ? '<form id="decline-form" class="stack"><label for="decline-reason">Reason for declining</label>' +
          '<select id="decline-reason" name="reason">' + reasons + '<option value="other">Other…</option></select>' +
          '<input id="decline-other" name="other" placeholder="Other reason" maxlength="200" hidden>' +
          button("Send decline", 'id="decline-send"', "danger", "submit") + button("Back", 'id="decline-back"') + "</form>"
        : button("Decline…", 'id="decline"', "")));
    tick();
  }

  // Button labels only: which steps are allowed comes from the call row's `actions`.
  const STEP_LABELS = { en_route: "En route", on_scene: "On scene", transporting: "Transporting" };
  const SHIFT_BUTTONS = {
    off_shift: { available: ["Go on shift", "primary"] },
    available: { off_shift: ["Go off shift", ""], out_of_service: ["Out of service", ""] },
    out_of_service: { available: ["Back in service", "primary"], off_shift: ["Go off shift", ""] },
  };

  function renderAssignment() {
    const box = $("assignment");
    const a = snap.assignment, c = snap.call;
    if (!a || a.status !== "accepted" || !c) { box.hidden = true; paint(box, ""); return; }
    box.hidden = false;
    const actions = c.actions || { advance: [], clear: false };
    const steps = actions.advance.map(function (s) {
      return button(STEP_LABELS[s] || s, 'data-advance="' + s + '"', "primary step");
    }).join("");
    const canClear = actions.clear;
    const dispositions = labels.disposition.map(function (d) { return '<option value="' + esc(d[0]) + '">' + esc(d[1]) + "</option>"; }).join("");
    const notes = (c.notes || []).map(function (n) {
      return "<li><small>" + L_.hhmm(new Date(n.at)) + " " + esc(n.by) + (n.pending ? " (not sent yet)" : "") + "</small><br>" + esc(n.text) + "</li>";
    }).join("");
    paint(box,
      flagsHtml(c.flags) + interpreterHtml(c) +
      '<h2>#' + c.id + " · " + esc(c.nature) + "</h2>" +
      '<p class="call-status">Call status: <strong id="call-status" data-status="' + esc(c.status) + '">' + esc(labels.status[c.status] || c.status) + "</strong></p>" +
      '<p class="address"><strong>' + esc(c.address) + "</strong> <small>(" + esc(c.location_type) + ")</small></p>" + mapLinks(c) +
      '<dl class="facts">' +
      "<dt>Type</dt><dd>" + esc(c.call_type_label) + (c.priority ? " · P" + c.priority : "") + (c.language && c.language !== "en" ? " · speaks " + esc(c.language_name || c.language) : "") + "</dd>" +
      "<dt>Person</dt><dd>" + [c.person_name, c.person_description].filter(Boolean).map(esc).join(" · ") + "</dd>" +
      "<dt>Caller</dt><dd>" + esc(c.caller_name || "—") + (c.callback_number ? ' · <a class="tel" href="tel:' + esc(c.callback_number.replace(/[^0-9+]/g, "")) + '">' + esc(c.callback_number) + "</a>" : "") + "</dd>" +
      "</dl>" +
      (c.narrative ? '<p class="narrative">' + esc(c.narrative) + "</p>" : "") +
      '<div class="steps stack">' + steps + "</div>" +
      (canClear
        // Nothing chosen in advance: a tired responder must pick how the call ended, not accept a default.
        ? '<form id="clear-form" class="stack"><label for="disposition">Disposition</label><select id="disposition" name="disposition" required>' +
          '<option value="" selected disabled>Choose how it ended…</option>' + dispositions + "</select>" + clearQuestionsHtml(c) +
          button("Clear call", 'id="clear"', "primary", "submit") + "</form>"
        : "") +
      '<section class="notes"><h3>Notes</h3><ol class="note-list">' + notes + "</ol>" +
      '<form id="note-form" class="stack"><label for="note-text">Add a note</label><textarea id="note-text" name="text" rows="2" maxlength="2000" required></textarea>' +
      button("Add note", "", "", "submit") + "</form></section>");
  }

  // --- the team's program's own questions at clear (community responders: what happened, and a referral) ----------
  // From the page (labels.clear_questions), not fetched: the form works offline and the answers go with the queued
  // clear, written with it or not at all (a refusal comes back as the queue's message, the call still open).
  const clearQuestions = labels.clear_questions || [];
  function clearQuestionsHtml(c) {
    return clearQuestions.map(function (q) {
      const outcomes = q.outcomes[c.call_type] || q.outcomes[""] || [];
      let html = "";
      if (outcomes.length) {
        html += '<label for="clear-outcome">' + esc(q.outcome_label) + '</label><select id="clear-outcome" name="outcome" required>' +
          '<option value="" selected disabled>Choose what happened…</option>' +
          outcomes.map(function (o) { return '<option value="' + esc(o[0]) + '">' + esc(o[1]) + "</option>"; }).join("") + "</select>";
      }
      if (q.partners.length) {
        html += '<label for="clear-partner">' + esc(q.referral_label) + '</label><select id="clear-partner" name="referral_partner">' +
          '<option value="">No referral</option>' +
          q.partners.map(function (p) { return '<option value="' + esc(String(p[0])) + '">' + esc(p[1]) + "</option>"; }).join("") + "</select>" +
          '<label for="clear-service" class="small">What for (optional)</label>' +
          '<input id="clear-service" name="referral_service" maxlength="120" placeholder="e.g. food pantry, intake">';
      }
      return html;
    }).join("");
  }

  // --- what the programs' records say the team needs on this call (e.g. a FACT client's care-plan essentials) ----
  // Fetched once per accepted call; each program decides what this user may see and audits it.
  let briefFor = null;
  function renderBrief() {
    const box = $("brief");
    const a = snap.assignment, c = snap.call;
    const callId = a && a.status === "accepted" && c ? c.id : null;
    if (callId === null) { briefFor = null; box.hidden = true; paint(box, ""); return; }
    if (briefFor === callId) return;
    briefFor = callId;
    L_.api("GET", "/api/calls/" + callId + "/brief/", null, true).then(function (res) {
      if (briefFor !== callId) return;
      if (!res.ok) { briefFor = null; return; }  // offline or refused: try again on the next render
      const sections = Array.isArray(res.data) ? res.data : [];
      box.hidden = !sections.length;
      paint(box, sections.map(function (s) {
        return "<h3>" + esc(s.title) + "</h3><ul>" +
          (s.lines || []).map(function (l) { return "<li>" + esc(l) + "</li>"; }).join("") + "</ul>" +
          (s.phone ? '<p><a class="button" href="tel:' + esc(s.phone.replace(/[^0-9+]/g, "")) + '">' + esc(s.phone_label || "Call") + " · " + esc(s.phone) + "</a></p>"
            : s.phone_label ? "<p>" + esc(s.phone_label) + "</p>" : "") +
          (s.note ? '<p class="small muted">' + esc(s.note) + "</p>" : "");
      }).join(""));
    });
  }

  function renderSos() {
    const open = (snap.alerts || []).filter(function (a) { return !a.acknowledged_at; });
    const el = $("sos-status");
    if (open.length) el.textContent = "SOS sent " + L_.hhmmss(new Date(open[open.length - 1].raised_at)) + ": dispatch alerted, waiting for acknowledgement.";
    else if (el.dataset.ackBy) el.textContent = "Dispatch acknowledged your SOS (" + el.dataset.ackBy + ").";
  }

  function renderLocation() {
    const t = snap.team;
    const el = $("location-line");
    if (!t || t.status === "off_shift") { el.textContent = "Location: not shared while off shift."; return; }
    let text = "Sharing location every " + labels.location_interval_seconds + " s · last sent " + (lastSentAt ? L_.hhmmss(lastSentAt) : "not yet");
    if (locationProblem) text += " · " + locationProblem;
    const wake = { held: "screen kept on", unsupported: "this phone cannot keep the screen on: keep it awake",
      refused: "screen may sleep: keep it awake", released: "screen may sleep" }[attention.wake_lock];
    if (wake) text += " · " + wake;
    el.textContent = text;
  }

  // --- getting attention: an offer in a pocket, a screen that stays on ----------------------------
  // An offer plays a tone (tones.js) and vibrates, again every OFFER_REMIND_MS while it is still open,
  // so a phone in a pocket is noticed within the offer's time. What happened is counted in
  // window.crisisPhone.attention (and <html data-offer-alerts>) for tests and for a look at a device.
  const OFFER_REMIND_MS = 15000;
  const VIBRATION = [400, 200, 400, 200, 400];
  const attention = { offers: 0, sounded: 0, vibrated: 0, wake_lock: "off" };
  let announced = null;
  let remindTimer = null;
  function ring() {
    const tones = window.CrisisTones;
    if (tones && tones.play("offer") && tones.ready()) attention.sounded += 1;
    // navigator.vibrate is absent on iOS Safari and desktops: the tone and the screen must do.
    if (navigator.vibrate && navigator.vibrate(VIBRATION)) attention.vibrated += 1;
    document.documentElement.dataset.offerSounded = String(attention.sounded);
  }
  function announceOffer() {
    const a = snap.assignment;
    const open = a && a.status === "offered" && snap.call;
    if (!open) { announced = null; clearInterval(remindTimer); remindTimer = null; return; }
    if (announced === a.id) return;
    announced = a.id;
    attention.offers += 1;
    document.documentElement.dataset.offerAlerts = String(attention.offers);
    ring();
    clearInterval(remindTimer);
    remindTimer = setInterval(function () {
      const now = snap.assignment;
      if (now && now.id === announced && now.status === "offered") ring();
      else { clearInterval(remindTimer); remindTimer = null; }
    }, OFFER_REMIND_MS);
  }

  // A screen wake lock while on shift, so the offer is seen and location keeps flowing; the browser drops
  // it whenever the page is hidden, so it is asked for again on return. Absent API: said on the screen.
  let wakeLock = null;
  let wakeWanted = false;
  let wakePending = false;
  let wakeRefused = false;
  function setWake(state) {
    attention.wake_lock = state;
    document.documentElement.dataset.wakeLock = state;
    renderLocation();
  }
  function syncWakeLock() {
    const t = snap.team;
    wakeWanted = !!t && t.status !== "off_shift";
    if (!wakeWanted) {
      if (wakeLock) { wakeLock.release().catch(function () {}); wakeLock = null; }
      setWake("off");
      return;
    }
    // Refused once: asked again only when the page comes back into view, not on every redraw.
    if (wakeLock || wakePending || wakeRefused || document.visibilityState !== "visible") return;
    if (!("wakeLock" in navigator)) { setWake("unsupported"); return; }
    wakePending = true;
    navigator.wakeLock.request("screen").then(function (lock) {
      wakePending = false;
      if (!wakeWanted) { lock.release().catch(function () {}); return; }
      wakeLock = lock;
      setWake("held");
      lock.addEventListener("release", function () { if (wakeLock === lock) { wakeLock = null; setWake("released"); } });
    }).catch(function () { wakePending = false; wakeRefused = true; setWake("refused"); });
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { wakeRefused = false; syncWakeLock(); }
  });

  function render() {
    // On a call the SOS button stays on screen (CSS: html.on-call .sos-box is sticky at the bottom).
    // (Accepted only: while an offer is out, the Accept button owns the bottom of the screen.)
    document.documentElement.classList.toggle("on-call", !!(snap.assignment && snap.call && snap.assignment.status === "accepted"));
    announceOffer();
    syncWakeLock();
    renderShift();
    renderOffer();
    renderAssignment();
    renderBrief();
    $("idle").hidden = !!(snap.assignment && snap.call);
    renderSos();
    renderLocation();
    renderQueueLine();
    tick();
  }

  function tick() {
    const now = live ? live.serverNow() : Date.now();
    for (const el of document.querySelectorAll(".countdown[data-until]")) {
      const left = (Date.parse(el.dataset.until) - now) / 1000;
      el.textContent = isNaN(left) ? "" : left > 0 ? L_.duration(left) + " to answer" : "time is up";
      el.classList.toggle("urgent", left < 15);
    }
  }
  setInterval(tick, 1000);

  // --- actions -------------------------------------------------------------------
  document.addEventListener("click", function (e) {
    const t = e.target.closest("button");
    if (!t) return;
    if (t.dataset.teamStatus) {
      const label = t.textContent;
      tap({
        label: label,
        url: "/api/teams/" + teamId + "/status/",
        body: { status: t.dataset.teamStatus, expected_version: snap.team.version },
        effect: { type: "team_status", status: t.dataset.teamStatus },
      });
      if (t.dataset.teamStatus !== "off_shift") setTimeout(shareLocation, 500);
      return;
    }
    if (t.dataset.advance) {
      const c = snap.call;
      const body = { status: t.dataset.advance, expected_status: c.status };
      if (t.dataset.advance === "transporting") {
        // The desk and the follow-up need to know where the person went: the server refuses it without.
        const where = (window.prompt("Taking the person where? (hospital, crisis centre, …)") || "").trim();
        if (!where) { showMessage("Transporting needs a destination: tap again and say where."); return; }
        body.destination = where;
      }
      tap({
        label: t.textContent,
        url: "/api/calls/" + c.id + "/advance/",
        body: body,
        effect: { type: "call_status", call_id: c.id, status: t.dataset.advance },
      });
      return;
    }
    if (t.id === "accept") {
      t.disabled = true;
      showMessage("Accepting…");
      once("accept:" + t.dataset.assignment, "/api/assignments/" + t.dataset.assignment + "/accept/", {}, ACCEPT_TRIES).then(function (res) {
        if (!res.ok) showMessage("Could not accept: " + res.error); else showMessage("");
        live.sync();
      }).catch(function () {
        t.disabled = false;
        // Whether it arrived is unknown: the same key goes with the next tap, so a second tap cannot act twice.
        showMessage("No answer from the server: the offer may not be accepted. Tap Accept again, or call dispatch.");
        live.sync();
      });
      return;
    }
    if (t.id === "decline") { declining = true; renderOffer(); return; }
    if (t.id === "decline-back") { e.preventDefault(); declining = false; renderOffer(); return; }
    if (t.id === "sos") { $("sos-confirm").hidden = false; t.hidden = true; $("sos-send").focus(); return; }
    if (t.id === "sos-cancel") { $("sos-confirm").hidden = true; $("sos").hidden = false; return; }
    if (t.id === "sos-send") { sendSos(); return; }
  });

  document.addEventListener("change", function (e) {
    if (e.target.id === "decline-reason") $("decline-other").hidden = e.target.value !== "other";
    if (e.target.id === "clear-partner" || e.target.id === "clear-outcome") showMessage(""); // the complaint was answered
  });

  // Only the phone's own forms are sent from here: the top bar's Sign out posts as any form does.
  const OWN_FORMS = ["decline-form", "clear-form", "note-form"];
  document.addEventListener("submit", function (e) {
    const form = e.target;
    if (OWN_FORMS.indexOf(form.id) < 0) return;
    e.preventDefault();
    if (form.id === "decline-form") {
      const reason = form.reason.value === "other" ? form.other.value.trim() : form.reason.value;
      if (!reason) { showMessage("Give a reason for declining."); return; }
      const id = snap.assignment.id;
      once("decline:" + id + ":" + reason, "/api/assignments/" + id + "/decline/", { reason: reason }, ACCEPT_TRIES).then(function (res) {
        showMessage(res.ok ? "" : "Could not decline: " + res.error);
        declining = false;
        live.sync();
      }).catch(function () { showMessage("No answer from the server: the decline may not have arrived. Send it again, or call dispatch."); live.sync(); });
    }
    if (form.id === "clear-form") {
      const c = snap.call;
      if (!form.disposition.value) { showMessage("Choose how the call ended."); return; }
      const answers = {};
      const said = [form.disposition.options[form.disposition.selectedIndex].text];
      if (form.outcome) {
        if (!form.outcome.value) { showMessage("Choose what happened for the person."); form.outcome.focus(); return; }
        answers.outcome = form.outcome.value;
        said.push(form.outcome.options[form.outcome.selectedIndex].text);
      }
      if (form.referral_partner && form.referral_partner.value && clearQuestions.some(function (q) { return (q.referral_refused_for || []).indexOf(answers.outcome) >= 0; })) {
        // The server refuses the pair too; asked here, before a clear is queued that would bounce after signal returns.
        showMessage("“" + said[said.length - 1] + "” means nobody was referred: take out the referral, or choose the outcome that says what happened.");
        form.referral_partner.focus(); return;
      }
      if (form.referral_partner && form.referral_partner.value) {
        answers.referral_partner = form.referral_partner.value;
        answers.referral_service = form.referral_service.value.trim();
        said.push("referred to " + form.referral_partner.options[form.referral_partner.selectedIndex].text);
      } else if (clearQuestions.some(function (q) { return (q.referral_required_for || []).indexOf(answers.outcome) >= 0; })) {
        showMessage("You chose “referred”: choose the partner service you referred to."); form.referral_partner.focus(); return;
      }
      showMessage("");
      tap({
        label: "Clear call (" + said.join(" · ") + ")",
        url: "/api/calls/" + c.id + "/clear/",
        body: { disposition: form.disposition.value, expected_status: c.status, answers: answers },
        effect: { type: "call_cleared", call_id: c.id },
      });
    }
    if (form.id === "note-form") {
      const text = form.text.value.trim();
      if (!text) return;
      const c = snap.call;
      form.text.value = "";
      tap({ label: "Note", url: "/api/calls/" + c.id + "/notes/", body: { text: text }, effect: { type: "note", call_id: c.id, text: text } });
    }
  });

  function sendSos() {
    const body = lastPosition ? { latitude: lastPosition.latitude, longitude: lastPosition.longitude } : {};
    const status = $("sos-status");
    status.textContent = "Sending SOS…";
    // One press, one key: its retries (the answer lost, the network flapping) raise one alarm, not several.
    sosPresses += 1;
    once("sos:" + sosPresses, "/api/teams/" + teamId + "/sos/", body, SOS_TRIES, function (attempt) {
      status.textContent = "Sending SOS… (no answer yet, trying again: " + (attempt + 1) + " of " + SOS_TRIES + ")";
    }).then(function (res) {
      $("sos-confirm").hidden = true;
      $("sos").hidden = false;
      if (!res.ok) { status.textContent = "SOS NOT SENT: " + res.error + " Call dispatch by phone."; return; }
      snap.alerts = (snap.alerts || []).concat([res.data]);
      renderSos();
    }).catch(function () {
      $("sos-confirm").hidden = true;
      $("sos").hidden = false;
      status.textContent = "SOS NOT SENT: you are offline. Call dispatch or 911 by phone.";
    });
  }

  // --- location sharing ------------------------------------------------------------
  function shareLocation() {
    const t = snap.team;
    if (!t || t.status === "off_shift") { renderLocation(); return; }
    if (!navigator.geolocation) { locationProblem = "this device cannot share its location"; renderLocation(); return; }
    navigator.geolocation.getCurrentPosition(function (p) {
      lastPosition = { latitude: p.coords.latitude, longitude: p.coords.longitude };
      L_.api("POST", "/api/teams/" + teamId + "/location/", lastPosition, true).then(function (res) {
        if (res.ok) { lastSentAt = new Date(); locationProblem = ""; } else locationProblem = "not accepted: " + res.error;
        renderLocation();
      }).catch(function () { locationProblem = "not sent: offline"; renderLocation(); });
    }, function (err) {
      locationProblem = err.code === 1 ? "location permission denied" : "position unavailable";
      renderLocation();
    }, { enableHighAccuracy: true, maximumAge: 10000, timeout: 15000 });
  }
  setInterval(shareLocation, labels.location_interval_seconds * 1000);

  // --- live wiring --------------------------------------------------------------------
  let resyncTimer = null;
  live = L_.connect({
    snapshotUrl: "/api/my-team/",
    stateEl: $("conn"),
    onSnapshot: function (data) {
      const wasOff = !snap.team || snap.team.status === "off_shift";
      snap = data;
      for (const item of queue) applyEffect(item.effect); // taps not sent yet stay visible
      render();
      if (wasOff && snap.team && snap.team.status !== "off_shift") shareLocation();
    },
    onEvent: function (ev) {
      const d = ev.data || {};
      if (d.team && snap.team && d.team.id === snap.team.id && d.team.version >= snap.team.version) {
        Object.assign(snap.team, d.team);
        for (const item of queue) if (item.effect && item.effect.type === "team_status") applyEffect(item.effect);
        render();
      }
      if (d.alert) {
        snap.alerts = (snap.alerts || []).filter(function (a) { return a.id !== d.alert.id; });
        if (d.alert.acknowledged_at) $("sos-status").dataset.ackBy = (d.alert.acknowledged_by || "") + " at " + L_.hhmmss(new Date(d.alert.acknowledged_at));
        else snap.alerts.push(d.alert);
        renderSos();
      }
      if (d.call) { clearTimeout(resyncTimer); resyncTimer = setTimeout(function () { live.sync(); }, 100); }
    },
    onState: function (state) { if (state === "live") flush(); renderQueueLine(); },
  });
  window.crisisPhone = { live: live, queue: function () { return queue; }, snap: function () { return snap; }, attention: attention };
  render();
})();
