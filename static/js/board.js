// The dispatch board: queue, teams, map, SOS alerts, routing decision with confirm/reassign.
// Every row is drawn from the same shape whether it came from the snapshot or from an event,
// so an event simply replaces its row (idempotent upsert) and a resync redraws everything.
(function () {
  "use strict";
  const L_ = window.CrisisLive;
  const esc = L_.esc;
  const labels = JSON.parse(document.getElementById("labels").textContent);
  const CLOSED = { closed: true, cancelled: true };

  const calls = new Map();
  const teams = new Map();
  const alerts = new Map();
  let settings = { location_stale_seconds: 300 };
  let selected = null;
  let wanted = +new URLSearchParams(window.location.search).get("call") || null;
  let live = null;

  // --- map -----------------------------------------------------------------
  const mapEl = document.getElementById("map");
  let map = null;
  const callMarkers = new Map();
  const teamMarkers = new Map();
  let fitted = false;
  if (window.L && mapEl) {
    map = window.L.map(mapEl, { zoomControl: true }).setView([+mapEl.dataset.lat, +mapEl.dataset.lon], 12);
    // Tiles may fail (no network, tile server down): markers are vectors and HTML, so they still show.
    window.L.tileLayer(mapEl.dataset.tiles, { maxZoom: 19, attribution: "&copy; OpenStreetMap contributors" }).addTo(map);
  }

  function pos(lat, lon) { return lat != null && lon != null ? [lat, lon] : null; }

  function syncMarkers() {
    if (!map) return;
    const bounds = [];
    for (const [id, c] of calls) {
      const p = pos(c.latitude, c.longitude);
      let m = callMarkers.get(id);
      if (!p) { if (m) { m.remove(); callMarkers.delete(id); } continue; }
      bounds.push(p);
      const cls = "call-marker p" + (c.priority || 0) + (id === selected ? " selected" : "");
      if (!m) {
        m = window.L.circleMarker(p, { radius: 9, weight: 2, fillOpacity: 0.85, className: cls });
        m.on("click", function () { select(id); });
        m.addTo(map);
        callMarkers.set(id, m);
      } else {
        m.setLatLng(p);
        if (m._path) m._path.setAttribute("class", cls + " leaflet-interactive");
      }
      m.bindTooltip("#" + id + " " + esc(c.nature));
    }
    for (const [id, m] of callMarkers) if (!calls.has(id)) { m.remove(); callMarkers.delete(id); }
    for (const [id, t] of teams) {
      const p = pos(t.latitude, t.longitude);
      let m = teamMarkers.get(id);
      if (!p) { if (m) { m.remove(); teamMarkers.delete(id); } continue; }
      bounds.push(p);
      const stale = isStale(t);
      const sos = [...alerts.values()].some(function (a) { return a.team_id === id; });
      const icon = window.L.divIcon({
        className: "team-marker status-" + t.status + (stale ? " stale" : "") + (sos ? " sos" : ""),
        html: "<span>" + esc(t.name) + "</span>",
        iconSize: null,
      });
      if (!m) { m = window.L.marker(p, { icon: icon, title: t.name, keyboard: false }).addTo(map); teamMarkers.set(id, m); }
      else { m.setLatLng(p); m.setIcon(icon); }
    }
    for (const [id, m] of teamMarkers) if (!teams.has(id)) { m.remove(); teamMarkers.delete(id); }
    // Fit once there is something to show, and again whenever a marker lands outside the view.
    const outside = bounds.some(function (p) { return !map.getBounds().contains(p); });
    if (bounds.length && (!fitted || outside)) { map.fitBounds(bounds, { padding: [30, 30], maxZoom: 14 }); fitted = true; }
  }

  // --- derived facts ---------------------------------------------------------
  function now() { return live ? live.serverNow() : Date.now(); }
  function isStale(t) {
    if (!t.location_reported_at) return true;
    return (now() - Date.parse(t.location_reported_at)) / 1000 > settings.location_stale_seconds;
  }
  function callOfTeam() {
    const out = new Map();
    for (const c of calls.values()) if (c.assignment) out.set(c.assignment.team_id, c);
    return out;
  }
  function teamName(id) { const t = teams.get(id); return t ? t.name : "team " + id; }

  // --- rendering -------------------------------------------------------------
  function callSig(c) {
    const a = c.assignment || {};
    const std = (c.standards || []).map(function (x) { return x.key + x.target_at; }).join(",");
    return [c.id, c.status, c.priority, c.tier, a.team_id, a.status, c.recommended_team_id, !!c.unrouted_flagged_at, std,
      c.waiting_reason || "", c.waiting_since || "", !!c.escalated_at, (c.handoff_pending || []).join("+"),
      (c.units || []).map(function (u) { return u.id + u.status; }).join(","), c.interpreter_line || ""].join("|");
  }
  function callCells(c) {
    const a = c.assignment;
    let team = "—";
    if (a && a.status === "offered") {
      team = esc(a.team_name) + ' <small>offered</small> <span class="countdown" data-until="' + esc(a.expires_at) + '"></span>';
    } else if (a) {
      team = esc(a.team_name);
    } else if (c.recommended_team_id) {
      team = '<span class="badge warn">Recommended: ' + esc(teamName(c.recommended_team_id)) + "</span>";
    }
    const prio = c.priority ? "P" + c.priority : "New";
    return (
      '<td><span class="prio p' + (c.priority || 0) + '">' + prio + "</span></td>" +
      '<td><a href="/dispatch/calls/' + c.id + '/">#' + c.id + "</a></td>" +
      "<td>" + esc(c.nature) + "<br><small>" + esc(labels.call_type[c.call_type] || c.call_type) + "</small></td>" +
      "<td>" + (c.address ? esc(c.address) : '<span class="muted">No address given</span>') + "</td>" +
      "<td>" + esc(labels.tier[c.tier] || "—") + "</td>" +
      '<td class="status">' + esc(labels.status[c.status] || c.status) +
      (c.unrouted_flagged_at ? ' <strong class="flag">No team</strong>' : "") +
      (c.escalated_at ? ' <strong class="badge danger escalated">Escalated</strong>' : "") +
      handoffHtml(c) +
      waitingHtml(c) + "</td>" +
      '<td class="team">' + team + unitsHtml(c) +
      (c.interpreter_line ? '<br><span class="badge warn interpreter">Interpreter line (' + esc(c.interpreter_line) + ")</span>" : "") + "</td>" +
      '<td><span class="clock" data-since="' + esc(c.awaiting_since || c.received_at) + '"></span>' + standardCell(c) + "</td>"
    );
  }
  // A police/EMS-led call not yet handed to its agency: a flag and a clock running since triage.
  const AGENCY = { police: "Police", ems: "EMS" };
  function handoffHtml(c) {
    const pending = c.handoff_pending || [];
    if (!pending.length) return "";
    return '<br><strong class="badge danger handoff">Hand off to ' + pending.map(function (a) { return AGENCY[a] || a; }).join(" + ") +
      ' <span class="clock" data-since="' + esc(c.handoff_since || "") + '"></span></strong>';
  }
  // Police/EMS units on the call beside the crisis team, each with its own status (dispatch/units.py).
  const UNIT_STATUS = { dispatched: "dispatched", en_route: "en route", on_scene: "on scene", cleared: "cleared" };
  const UNIT_NEXT = { dispatched: ["en_route", "on_scene", "cleared"], en_route: ["on_scene", "cleared"], on_scene: ["cleared"], cleared: [] };
  function unitsHtml(c) {
    const open = (c.units || []).filter(function (u) { return u.status !== "cleared"; });
    if (!open.length) return "";
    return open.map(function (u) {
      return '<br><span class="badge unit unit-' + esc(u.status) + '">' + esc(AGENCY[u.agency] || u.agency) + " " + esc(u.unit) +
        " · " + esc(UNIT_STATUS[u.status] || u.status) + "</span>";
    }).join("");
  }
  // Why no team is offered the call, and since when (the row carries it from the latest routing run).
  function waitingHtml(c) {
    if (!c.waiting_reason) return "";
    const since = c.waiting_since ? " · since " + L_.hhmm(new Date(c.waiting_since)) : "";
    return '<br><small class="waiting-reason">' + esc(c.waiting_reason) + since + "</small>";
  }
  // The running standard with the nearest target (answer, dispatch, arrival): ticks like the other clocks.
  function standardCell(c) {
    const running = (c.standards || []).slice().sort(function (a, b) { return Date.parse(a.target_at) - Date.parse(b.target_at); });
    if (!running.length) return "";
    const s = running[0];
    return '<br><small class="std" data-near="' + esc(s.near_at) + '" data-target="' + esc(s.target_at) +
      '" data-label="' + esc(s.label) + '"></small>';
  }
  function sortedCalls() {
    return [...calls.values()].sort(function (a, b) {
      const pa = a.priority == null ? -1 : a.priority, pb = b.priority == null ? -1 : b.priority;
      return pa - pb || Date.parse(a.received_at) - Date.parse(b.received_at) || a.id - b.id;
    });
  }
  function renderRows(tbody, items, sigOf, cellsOf, attr, emptyText, cols) {
    const existing = new Map();
    for (const tr of tbody.querySelectorAll("tr[" + attr + "]")) existing.set(tr.getAttribute(attr), tr);
    const empty = tbody.querySelector("tr.empty-row");
    if (empty) empty.remove();
    let prev = null;
    for (const item of items) {
      const key = String(item.id);
      let tr = existing.get(key);
      const sig = sigOf(item);
      if (!tr) { tr = document.createElement("tr"); tr.setAttribute(attr, key); tr.tabIndex = 0; }
      if (tr.dataset.sig !== sig) { tr.innerHTML = cellsOf(item); tr.dataset.sig = sig; tr.classList.add("changed"); setTimeout(function (el) { el.classList.remove("changed"); }, 1500, tr); }
      existing.delete(key);
      const want = prev ? prev.nextSibling : tbody.firstChild;
      if (want !== tr) tbody.insertBefore(tr, want);
      prev = tr;
    }
    for (const tr of existing.values()) tr.remove();
    if (!items.length) tbody.innerHTML = '<tr class="empty-row"><td colspan="' + cols + '" class="empty">' + emptyText + "</td></tr>";
  }

  function renderCalls() {
    const rows = sortedCalls();
    const tbody = document.getElementById("calls");
    renderRows(tbody, rows, callSig, callCells, "data-call", "No open calls.", 8);
    for (const tr of tbody.querySelectorAll("tr[data-call]")) {
      const c = calls.get(+tr.dataset.call);
      tr.className = "p" + (c.priority || 0) + (c.unrouted_flagged_at ? " flagged" : "") + (c.id === selected ? " selected" : "") +
        ((c.handoff_pending || []).length ? " handoff-pending" : "");
      tr.dataset.status = c.status;
    }
    document.getElementById("counts").textContent = rows.length + " open · " + teams.size + (teams.size === 1 ? " team" : " teams");
  }

  function teamSig(t, current) {
    // The position's time too: a phone's periodic report changes no version, yet its age and "stale" must reset.
    return [t.id, t.status, t.version, current ? current.id + ":" + (current.assignment || {}).status : "", t.status_changed_at,
      t.location_reported_at, placeKey(t)].join("|");
  }
  function renderTeams() {
    const current = callOfTeam();
    const items = [...teams.values()].sort(function (a, b) { return a.name.localeCompare(b.name); });
    renderRows(
      document.getElementById("teams"),
      items,
      function (t) { return teamSig(t, current.get(t.id)); },
      function (t) {
        const c = current.get(t.id);
        let callCell = "—";
        if (c) {
          const offered = c.assignment.status === "offered";
          callCell = '<a href="#" data-select="' + c.id + '">#' + c.id + "</a> " + esc(c.nature) +
            (offered ? ' <small>offer</small> <span class="countdown" data-until="' + esc(c.assignment.expires_at) + '"></span>' : "");
        }
        return (
          "<td><strong>" + esc(t.name) + "</strong><br><small>" + esc(t.program || "") + "</small></td>" +
          '<td><span class="tstatus s-' + esc(t.status) + '">' + esc(labels.team_status[t.status] || t.status) + "</span></td>" +
          '<td><span class="clock" data-since="' + esc(t.status_changed_at) + '"></span></td>' +
          "<td>" + callCell + "</td>" +
          '<td><span class="position" data-reported="' + esc(t.location_reported_at || "") + '"></span>' +
          '<small class="team-place" data-place-key="' + esc(placeKey(t)) + '"></small></td>'
        );
      },
      "data-team",
      "No teams.",
      5
    );
    for (const tr of document.querySelectorAll("#teams tr[data-team]")) {
      const t = teams.get(+tr.dataset.team);
      tr.dataset.status = t.status;
      namePlace(t);
    }
  }

  // --- a team's position in words (GET /api/geocode/reverse/), asked once per ~10 m -------------------------
  const reverseUrl = mapEl ? mapEl.dataset.reverseUrl : "";
  const places = new Map(); // key -> words ("" = no address near), null while asked
  function placeKey(t) { return t.latitude != null && t.longitude != null ? t.latitude.toFixed(4) + "," + t.longitude.toFixed(4) : ""; }
  function showPlace(key, words) {
    for (const el of document.querySelectorAll('#teams .team-place[data-place-key="' + key + '"]')) el.textContent = words;
  }
  function namePlace(t) {
    const key = placeKey(t);
    if (!key || !reverseUrl) return;
    if (places.has(key)) { if (places.get(key) != null) showPlace(key, places.get(key)); return; }
    places.set(key, null);
    const ll = key.split(",");
    fetch(reverseUrl + "?" + new URLSearchParams({ lat: ll[0], lon: ll[1] }), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { words: "" }; }, function () { return { words: "" }; })
      .then(function (body) { places.set(key, body.words || ""); showPlace(key, body.words || ""); });
  }

  function renderAlerts() {
    const box = document.getElementById("alerts");
    const items = [...alerts.values()].sort(function (a, b) { return Date.parse(a.raised_at) - Date.parse(b.raised_at); });
    box.innerHTML = items.map(function (a) {
      // The address in words first (the call's, or the nearest known one); coordinates only as the small print.
      const coords = a.latitude != null
        ? '<small class="coords">' + a.latitude.toFixed(5) + ", " + a.longitude.toFixed(5) + ' · position <span class="age" data-reported="' + esc(a.location_reported_at || "") + '"></span></small>'
        : "";
      const where = a.address
        ? '<strong class="sos-address">' + esc(a.address) + "</strong> " + coords
        : a.latitude != null ? '<strong class="sos-address">no known address nearby</strong> ' + coords : '<strong class="sos-address">no known position</strong>';
      return (
        '<div class="sos" role="alert" data-alert="' + a.id + '">' +
        "<strong>SOS · " + esc(a.team_name) + "</strong> raised " + L_.hhmmss(new Date(a.raised_at)) + " by " + esc(a.raised_by) +
        " · " + where + (a.call_id ? ' · call <a href="#" data-select="' + a.call_id + '">#' + a.call_id + "</a>" : "") +
        (labels.can_assign ? ' <button type="button" class="ack" data-ack="' + a.id + '">Acknowledge</button>' : "") +
        '<span class="error" data-ack-error="' + a.id + '"></span></div>'
      );
    }).join("");
  }

  function renderAll() { renderCalls(); renderTeams(); renderAlerts(); syncMarkers(); tick(); }

  // --- ticking clocks --------------------------------------------------------
  function tick() {
    const t = now();
    for (const el of document.querySelectorAll(".board .clock[data-since]")) {
      const since = Date.parse(el.dataset.since);
      el.textContent = isNaN(since) ? "" : L_.duration((t - since) / 1000);
    }
    for (const el of document.querySelectorAll(".board .countdown[data-until]")) {
      const until = Date.parse(el.dataset.until);
      if (isNaN(until)) { el.textContent = ""; continue; }
      const left = (until - t) / 1000;
      el.textContent = left > 0 ? L_.duration(left) + " left" : "lapsing…";
      el.classList.toggle("urgent", left < 15);
    }
    for (const el of document.querySelectorAll(".board .std[data-target]")) {
      const target = Date.parse(el.dataset.target), near = Date.parse(el.dataset.near);
      const left = (target - t) / 1000;
      const state = left < 0 ? "breached" : t >= near ? "near" : "ok";
      el.textContent = el.dataset.label + ": " + (left < 0 ? "over by " + L_.duration(-left) : L_.duration(left) + " left");
      el.dataset.state = state;
      const row = el.closest("tr");
      if (row) { row.classList.toggle("std-near", state === "near"); row.classList.toggle("std-breached", state === "breached"); }
    }
    for (const el of document.querySelectorAll("[data-reported]")) {
      const at = Date.parse(el.dataset.reported);
      const age = isNaN(at) ? null : (t - at) / 1000;
      const stale = age == null || age > settings.location_stale_seconds;
      el.innerHTML = (age == null ? "never reported" : L_.duration(age) + " ago") + (stale ? ' <span class="badge stale">stale</span>' : "");
      el.classList.toggle("is-stale", stale);
    }
  }
  setInterval(tick, 1000);
  setInterval(syncMarkers, 15000); // stale markers change with time, not only with events

  // --- selection: routing decision, confirm, reassign ---------------------------
  function select(id) {
    selected = id;
    renderCalls();
    syncMarkers();
    loadDetail();
  }
  let detailTimer = null;
  function loadDetail() {
    const box = document.getElementById("detail");
    const id = selected;
    if (!id) return;
    L_.api("GET", "/api/calls/" + id + "/").then(function (res) {
      if (selected !== id) return;
      if (!res.ok) { box.innerHTML = '<p class="error">' + esc(res.error) + "</p>"; return; }
      redrawDetail(box, id, detailHtml(res.data));
    }).catch(function () { box.innerHTML = '<p class="error">Could not load the call: offline.</p>'; });
  }

  // What the dispatcher typed in the call detail's forms, per call and field. Every event on the call redraws the
  // detail: half-typed text must survive that, and so must the caret, or the next keystrokes land on the page and
  // act as shortcuts. Kept from input events, so text comes back even after a redraw that had no form (a failed load).
  const drafts = new Map(); // call id -> Map(field key -> value)
  function draftKey(el) {
    // A withdraw reason belongs to the assignment it was typed for, not to the next team's offer.
    return el.id + (el.form.dataset.assignment ? "@" + el.form.dataset.assignment : "");
  }
  function draftForm(el) {
    const form = el && el.id && el.form;
    return form && form.dataset.call && document.getElementById("detail").contains(form) ? form : null;
  }
  function keepDraft(e) {
    const form = draftForm(e.target);
    if (!form) return;
    const call = +form.dataset.call;
    if (!drafts.has(call)) drafts.set(call, new Map());
    drafts.get(call).set(draftKey(e.target), e.target.value);
  }
  document.addEventListener("input", keepDraft);
  document.addEventListener("change", keepDraft);
  function forgetDrafts(form) {
    const kept = drafts.get(+form.dataset.call);
    if (kept) for (const el of form.elements) if (el.id) kept.delete(draftKey(el));
  }
  function redrawDetail(box, id, html) {
    const active = document.activeElement;
    const focus = active && active.id && box.contains(active) ? { id: active.id, start: active.selectionStart, end: active.selectionEnd } : null;
    box.innerHTML = html;
    const kept = drafts.get(id);
    for (const el of box.querySelectorAll("form[data-call] [id]")) {
      if (!el.form || !kept || !kept.has(draftKey(el))) continue;
      const value = kept.get(draftKey(el));
      if (el.tagName === "SELECT" && ![...el.options].some(function (o) { return o.value === value; })) continue;
      el.value = value;
    }
    const again = focus && document.getElementById(focus.id);
    if (again && box.contains(again)) {
      again.focus();
      if (focus.start != null && typeof again.setSelectionRange === "function") again.setSelectionRange(focus.start, focus.end);
    }
  }
  function activeAssignment(c) {
    return (c.assignments || []).find(function (a) { return a.status === "offered" || a.status === "accepted"; });
  }
  function detailHtml(c) {
    const ex = c.routing_explanation || {};
    let html = '<h2>Call #' + c.id + " · " + esc(c.nature) + "</h2>";
    html += "<p>" + esc(labels.status[c.status] || c.status) + " · " + (c.address ? esc(c.address) : "no address given") + ' · <a href="/dispatch/calls/' + c.id + '/">full page</a></p>';
    if (ex.chosen) {
      html += '<p class="explain-chosen">Router chose <strong>' + esc(ex.chosen.team) + "</strong>, ETA " + Math.round((ex.chosen.eta_seconds || 0) / 60) + " min" + (ex.joint ? " (joint assignment)" : "") + "</p>";
    } else if (ex.at) {
      html += '<p class="warn waiting-reason">' + esc(ex.waiting_reason || "No eligible team is free now.") +
        (ex.waiting_since ? " · since " + L_.hhmm(new Date(ex.waiting_since)) : "") + "</p>";
    }
    if (ex.candidates && ex.candidates.length) {
      html += '<table class="explain"><thead><tr><th>Team</th><th>ETA</th><th>Free</th><th>Notes</th></tr></thead><tbody>' +
        ex.candidates.map(function (x) {
          return "<tr><td>" + esc(x.team) + "</td><td>" + Math.round((x.eta_seconds || 0) / 60) + " min</td><td>" + (x.available_now ? "now" : "soon") + "</td><td>" + esc((x.notes || []).join("; ")) + "</td></tr>";
        }).join("") + "</tbody></table>";
    }
    if (ex.ineligible && ex.ineligible.length) {
      html += "<details><summary>Not eligible (" + (ex.ineligible_count || ex.ineligible.length) + ")</summary><ul>" +
        ex.ineligible.map(function (x) { return "<li>" + esc(x.team) + ": " + esc((x.reasons || []).join("; ")) + "</li>"; }).join("") + "</ul></details>";
    }
    // A police/EMS-led call's hand-off comes first: it is what the call waits for.
    html += handoffPanel(c);
    html += unitsPanel(c);
    // The row says what the lifecycle allows; the role comes from the page.
    if (labels.can_assign && c.actions && c.actions.assign) {
      if (c.recommended_team) {
        html += '<button type="button" class="primary" data-confirm="' + c.id + '">Confirm ' + esc(teamName(c.recommended_team)) + "</button>";
      }
      const options = [...teams.values()]
        .filter(function (t) { return t.status === "available"; })
        .map(function (t) { return '<option value="' + t.id + '">' + esc(t.name) + "</option>"; }).join("");
      html += '<form class="inline reassign" data-call="' + c.id + '" data-verb="' + (c.team ? "Reassign" : "Assign") + '">' +
        '<label for="assign-team">' + (c.team ? "Reassign to" : "Assign to") + "</label>" +
        '<select id="assign-team" name="team_id" required>' + (options || '<option value="">No team is available</option>') + "</select>" +
        '<label for="assign-reason">Reason</label><input id="assign-reason" name="reason" required maxlength="200">' +
        '<button type="submit">' + (c.team ? "Reassign" : "Assign") + "</button></form>";
    }
    // Withdraw the offer or pull the team back: only while the row says the lifecycle allows it.
    const held = activeAssignment(c);
    if (labels.can_assign && c.actions && c.actions.withdraw && held) {
      const verb = held.status === "offered" ? "Withdraw offer" : "Pull back team";
      html += '<form class="inline withdraw" data-call="' + c.id + '" data-assignment="' + held.id + '">' +
        '<label for="withdraw-reason">' + verb + " (" + esc(held.team_name || teamName(held.team)) + ")</label>" +
        '<input id="withdraw-reason" name="reason" required maxlength="200" placeholder="Reason">' +
        '<button type="submit" class="danger-outline">' + verb + "</button></form>";
    }
    if (labels.can_assign && c.actions && c.actions.resolve_by_phone) {
      html += '<form class="inline resolve" data-call="' + c.id + '">' +
        '<label for="resolve-note">Resolve by phone</label><input id="resolve-note" name="text" maxlength="2000" placeholder="Note">' +
        '<button type="submit">Resolve by phone</button></form>';
    }
    if (c.actions && c.actions.triage) {
      html += '<p><a href="/dispatch/calls/' + c.id + '/#triage">Re-triage on the call page</a></p>';
    }
    html += '<p class="error" id="detail-error" role="alert"></p>';
    return html;
  }

  // Hand-offs recorded, and the form to record the next one while an agency still has to take the call.
  function handoffPanel(c) {
    let html = "";
    const done = c.handoffs || [];
    if (done.length) {
      html += '<ul class="handoffs">' + done.map(function (h) {
        return "<li>Handed to <strong>" + esc(AGENCY[h.agency] || h.agency) + "</strong> " + L_.hhmm(new Date(h.handed_off_at)) +
          " · incident " + esc(h.incident_number) + " · unit " + esc(h.unit) + " <small>(" + esc(h.recorded_by) + ")</small></li>";
      }).join("") + "</ul>";
    }
    const pending = c.handoff_pending || [];
    if (!labels.can_assign || !pending.length) return html;
    const options = pending.map(function (a) { return '<option value="' + a + '">' + esc(AGENCY[a] || a) + "</option>"; }).join("");
    return html + '<form class="handoff-form" data-call="' + c.id + '">' +
      '<p class="warn"><strong>Hand off to ' + pending.map(function (a) { return AGENCY[a] || a; }).join(" + ") + "</strong> — record it when the agency takes the call.</p>" +
      '<div class="handoff-fields"><label for="handoff-agency">Agency</label><select id="handoff-agency" name="agency">' + options + "</select>" +
      '<label for="handoff-incident">Their incident #</label><input id="handoff-incident" name="incident_number" required maxlength="40">' +
      '<label for="handoff-unit">Unit</label><input id="handoff-unit" name="unit" required maxlength="40">' +
      '<button type="submit" class="primary">Record hand-off</button></div></form>';
  }

  // The call's units: the crisis team, then each police/EMS unit with buttons for its next status; a form adds one
  // (co-response where no paired team exists, or an agency unit not recorded through a hand-off).
  function unitsPanel(c) {
    const units = c.units || [];
    const open = !CLOSED[c.status];
    if (!units.length && !(labels.can_assign && open)) return "";
    let html = '<section class="units-panel"><h3>Units</h3><ul class="units">';
    html += "<li><strong>Crisis team</strong> " + (c.team ? esc(teamName(c.team)) + " · " + esc((labels.status[c.status] || c.status).toLowerCase()) : "<small>none yet</small>") + "</li>";
    html += units.map(function (u) {
      const times = [["dispatched", u.dispatched_at], ["en route", u.en_route_at], ["on scene", u.on_scene_at], ["cleared", u.cleared_at]]
        .filter(function (t) { return t[1]; }).map(function (t) { return t[0] + " " + L_.hhmm(new Date(t[1])); }).join(" · ");
      const buttons = labels.can_assign && open ? (UNIT_NEXT[u.status] || []).map(function (to) {
        return '<button type="button" class="small" data-unit="' + u.id + '" data-unit-from="' + esc(u.status) + '" data-unit-to="' + to + '">' +
          (to === "cleared" ? "Clear" : UNIT_STATUS[to].charAt(0).toUpperCase() + UNIT_STATUS[to].slice(1)) + "</button>";
      }).join(" ") : "";
      return '<li class="unit-' + esc(u.status) + '"><strong>' + esc(AGENCY[u.agency] || u.agency) + " " + esc(u.unit) + "</strong> " +
        '<span class="badge unit unit-' + esc(u.status) + '">' + esc(UNIT_STATUS[u.status] || u.status) + "</span> " +
        "<small>" + esc(times) + (u.incident_number ? " · incident " + esc(u.incident_number) : "") + "</small> " + buttons + "</li>";
    }).join("");
    html += "</ul>";
    if (labels.can_assign && open) {
      html += '<form class="inline unit-add" data-call="' + c.id + '">' +
        '<label for="unit-agency">Add unit</label><select id="unit-agency" name="agency"><option value="police">Police</option><option value="ems">EMS</option></select>' +
        '<label for="unit-id">Unit id</label><input id="unit-id" name="unit" required maxlength="40" placeholder="e.g. 4A12">' +
        '<label for="unit-incident">Their incident #</label><input id="unit-incident" name="incident_number" maxlength="40" placeholder="optional">' +
        '<button type="submit">Add unit</button></form>';
    }
    return html + "</section>";
  }

  document.addEventListener("click", function (e) {
    const unitBtn = e.target.closest("[data-unit-to]");
    if (unitBtn) {
      unitBtn.disabled = true;
      L_.api("POST", "/api/units/" + unitBtn.dataset.unit + "/status/", { status: unitBtn.dataset.unitTo, expected_status: unitBtn.dataset.unitFrom })
        .then(function (res) { if (res.status === 409) live.sync(); showResult(res); });
      return;
    }
    const sel = e.target.closest("[data-select]");
    if (sel) { e.preventDefault(); select(+sel.dataset.select); return; }
    const ack = e.target.closest("[data-ack]");
    if (ack) {
      ack.disabled = true;
      L_.api("POST", "/api/alerts/" + ack.dataset.ack + "/acknowledge/").then(function (res) {
        if (!res.ok) {
          ack.disabled = false;
          const err = document.querySelector('[data-ack-error="' + ack.dataset.ack + '"]');
          if (err) err.textContent = res.error;
          if (res.status === 409) live.sync();
        }
      });
      return;
    }
    const confirm = e.target.closest("[data-confirm]");
    if (confirm) {
      confirm.disabled = true;
      L_.api("POST", "/api/calls/" + confirm.dataset.confirm + "/confirm/").then(showResult);
      return;
    }
    const row = e.target.closest("tr[data-call]");
    if (row && !e.target.closest("a")) select(+row.dataset.call);
  });
  document.addEventListener("keydown", function (e) {
    const row = e.target.closest && e.target.closest("tr[data-call]");
    if (row && e.key === "Enter") select(+row.dataset.call);
  });
  // Keyboard shortcuts, outside form fields: J/K next/previous call, A acknowledge the oldest SOS,
  // C confirm the recommended team, M mute or unmute this desk, T the selected call's risk screen (the legend
  // under the heading says so).
  function moveSelection(step) {
    const ids = sortedCalls().map(function (c) { return c.id; });
    if (!ids.length) return;
    const at = ids.indexOf(selected);
    const next = ids[at < 0 ? (step > 0 ? 0 : ids.length - 1) : Math.min(ids.length - 1, Math.max(0, at + step))];
    select(next);
    const tr = document.querySelector('#calls tr[data-call="' + next + '"]');
    if (tr) tr.focus();
  }
  document.addEventListener("keydown", function (e) {
    // Alt+N: a new call, also where the browser does not honour the link's accesskey.
    if (e.altKey && !e.ctrlKey && !e.metaKey && e.code === "KeyN") {
      const link = document.querySelector("a[accesskey=n]");
      if (link) { e.preventDefault(); window.location.href = link.href; }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    if (e.target.closest && e.target.closest("input, select, textarea, [contenteditable]")) return;
    const key = e.key.toLowerCase();
    let target = null;
    if (key === "j") moveSelection(1);
    else if (key === "k") moveSelection(-1);
    else if (key === "a") target = document.querySelector("#alerts [data-ack]:not([disabled])");
    else if (key === "c") target = document.querySelector("#detail [data-confirm]:not([disabled])");
    else if (key === "m") target = document.getElementById("sound-toggle");
    else if (key === "t" && selected) { window.location.href = "/dispatch/calls/" + selected + "/#risk-screen"; }
    else return;
    e.preventDefault();
    if (target) target.click();
  });
  document.addEventListener("submit", function (e) {
    const withdraw = e.target.closest("form.withdraw");
    if (withdraw) {
      e.preventDefault();
      withdraw.querySelector("button").disabled = true;
      L_.api("POST", "/api/assignments/" + withdraw.dataset.assignment + "/withdraw/", { reason: withdraw.reason.value }).then(function (res) {
        if (res.ok) forgetDrafts(withdraw);
        if (res.status === 409) live.sync(); // lost a race: show what happened instead
        showResult(res);
      });
      return;
    }
    const handoff = e.target.closest("form.handoff-form");
    if (handoff) {
      e.preventDefault();
      handoff.querySelector("button").disabled = true;
      L_.api("POST", "/api/calls/" + handoff.dataset.call + "/handoffs/", {
        agency: handoff.agency.value, incident_number: handoff.incident_number.value, unit: handoff.unit.value,
      }).then(function (res) { if (res.ok) forgetDrafts(handoff); showResult(res); });
      return;
    }
    const addUnit = e.target.closest("form.unit-add");
    if (addUnit) {
      e.preventDefault();
      addUnit.querySelector("button").disabled = true;
      L_.api("POST", "/api/calls/" + addUnit.dataset.call + "/units/", {
        agency: addUnit.agency.value, unit: addUnit.unit.value, incident_number: addUnit.incident_number.value,
      }).then(function (res) { if (res.ok) forgetDrafts(addUnit); showResult(res); });
      return;
    }
    const resolve = e.target.closest("form.resolve");
    if (resolve) {
      e.preventDefault();
      resolve.querySelector("button").disabled = true;
      L_.api("POST", "/api/calls/" + resolve.dataset.call + "/resolve-by-phone/", { text: resolve.text.value }).then(function (res) {
        if (res.ok) forgetDrafts(resolve);
        showResult(res);
      });
      return;
    }
    const form = e.target.closest("form.reassign");
    if (!form) return;
    e.preventDefault();
    const confirm = document.getElementById("assign-confirm");
    const body = { team_id: +form.team_id.value, reason: form.reason.value, confirm_gaps: !!(confirm && confirm.checked) };
    L_.api("POST", "/api/calls/" + form.dataset.call + "/assign/", body).then(function (res) {
      // The team lacks what the call needs: list it, and ask for an explicit confirmation.
      if (res.status === 409 && res.data && res.data.reasons) { showGaps(form, res.data.reasons); return; }
      if (res.ok) forgetDrafts(form);
      showResult(res);
    });
  });
  function showGaps(form, reasons) {
    const team = form.team_id.options[form.team_id.selectedIndex].text;
    let box = form.querySelector(".gap-warning");
    if (!box) { box = document.createElement("div"); box.className = "gap-warning"; box.setAttribute("role", "alert"); form.insertBefore(box, form.querySelector("button[type=submit]")); }
    box.innerHTML = "<strong>" + esc(team) + " lacks what this call needs:</strong><ul>" +
      reasons.map(function (r) { return "<li>" + esc(r) + "</li>"; }).join("") + "</ul>" +
      '<label class="check"><input type="checkbox" id="assign-confirm" required> Assign anyway: the reason says why</label>';
    form.querySelector("button[type=submit]").textContent = "Assign anyway";
    form.team_id.addEventListener("change", function () { box.remove(); form.querySelector("button[type=submit]").textContent = form.dataset.verb; }, { once: true });
  }
  function showResult(res) {
    if (res.ok) { loadDetail(); return; }
    const err = document.getElementById("detail-error");
    if (err) err.textContent = res.error;
    for (const b of document.querySelectorAll("#detail button")) b.disabled = false;
  }

  // --- live wiring ------------------------------------------------------------
  function upsertCall(c) {
    const old = calls.get(c.id);
    if (old && old.version > c.version) return; // an older row arriving late
    if (CLOSED[c.status]) { calls.delete(c.id); drafts.delete(c.id); }
    else calls.set(c.id, Object.assign({}, calls.get(c.id) || {}, c));
  }
  function upsertTeam(t) {
    const old = teams.get(t.id);
    if (old && old.version > t.version) return; // an older row arriving late
    teams.set(t.id, Object.assign({}, old || {}, t));
  }
  function upsertAlert(a) {
    if (a.acknowledged_at) alerts.delete(a.id);
    else alerts.set(a.id, a);
  }

  // Routing health comes with the snapshot and with every heartbeat frame (dispatch/health.py).
  function renderRouting(routing) {
    const el = document.getElementById("routing-paused");
    if (!el || !routing) return;
    el.hidden = !routing.paused;
    if (!routing.paused) return;
    const since = routing.since ? " since " + L_.hhmm(new Date(routing.since)) : "";
    el.textContent = "Automatic routing paused" + since + " — assign teams manually.";
  }

  // --- alarms: a new P1 call, a new SOS, a call newly flagged unrouted (static/js/alarm.js) ----------
  // The first snapshot only seeds what is already known: reloading the page must not replay old alarms
  // (an open SOS still sounds through the reminder below). Later snapshots (after a reconnect) alarm on
  // what arrived while the board was away.
  const heard = { p1: new Set(), sos: new Set(), unrouted: new Set() };
  let seeded = false;
  function checkAlarms() {
    const alarm = window.CrisisAlarm;
    const found = [];
    for (const c of calls.values()) {
      if (c.priority === 1 && !heard.p1.has(c.id)) { heard.p1.add(c.id); found.push(["p1", "#" + c.id + " " + c.nature + (c.address ? " · " + c.address : "")]); }
      const flag = c.unrouted_flagged_at ? c.id + "@" + c.unrouted_flagged_at : null;
      if (flag && !heard.unrouted.has(flag)) { heard.unrouted.add(flag); found.push(["unrouted", "#" + c.id + " " + c.nature]); }
    }
    for (const a of alerts.values()) {
      if (!heard.sos.has(a.id)) { heard.sos.add(a.id); found.push(["sos", a.team_name + (a.address ? " · " + a.address : "")]); }
    }
    if (!seeded) { seeded = true; return; }
    if (!alarm) return;
    // Most urgent first: one sound plays at a time, the banner shows the last one.
    const order = { unrouted: 0, p1: 1, sos: 2 };
    found.sort(function (x, y) { return order[x[0]] - order[y[0]]; });
    for (const f of found) alarm.trigger(f[0], f[1]);
  }
  if (window.CrisisAlarm && window.CrisisAlarm.sosRepeatSeconds > 0) {
    setInterval(function () { if (alerts.size) window.CrisisAlarm.remind("sos"); }, window.CrisisAlarm.sosRepeatSeconds * 1000);
  }

  live = L_.connect({
    snapshotUrl: "/api/board/",
    stateEl: document.getElementById("conn"),
    onHeartbeat: function (frame) { renderRouting(frame.routing); },
    onSnapshot: function (data) {
      renderRouting(data.routing);
      settings = data.settings || settings;
      calls.clear(); teams.clear(); alerts.clear();
      data.calls.forEach(upsertCall);
      data.teams.forEach(upsertTeam);
      data.alerts.forEach(upsertAlert);
      renderAll();
      checkAlarms();
      if (!selected && wanted) { select(wanted); wanted = null; } // ?call=N: the call intake just made
      else if (selected) loadDetail();
    },
    onEvent: function (ev) {
      const d = ev.data || {};
      if (d.call) upsertCall(d.call);
      if (d.team) upsertTeam(d.team);
      if (d.alert) upsertAlert(d.alert);
      renderAll();
      checkAlarms();
      if (d.call && d.call.id === selected) { clearTimeout(detailTimer); detailTimer = setTimeout(loadDetail, 250); }
    },
  });
  window.crisisBoard = { live: live, calls: calls, teams: teams, alerts: alerts };
})();
