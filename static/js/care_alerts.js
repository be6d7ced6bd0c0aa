// Escalations of stalled hand-offs on the responder's phone: the same socket and snapshot as "My caseload today"
// (/ws/care/, its API), so what the caseload page shows live, the phone shows too, with Acknowledge. One card above
// the call; hidden while nothing is escalated to this responder or their team.
(function () {
  "use strict";
  const L_ = window.CrisisLive;
  const esc = L_.esc;
  const box = document.getElementById("care-alerts");
  if (!box) return;
  let rows = [];

  // The phone's own copy of the open escalations, as the tap queue is kept: a page opened where the signal cannot
  // reach the server (a basement, a lift) still shows who is waiting on this responder, marked as a copy. Per user;
  // only the open ones, kept one shift at most and dropped at sign-out, so names do not linger on a shared phone.
  const COPY_KEY = "crisis.escalations." + (box.dataset.user || "");
  const COPY_MAX_MS = 12 * 3600 * 1000;
  let copiedAt = null; // set while the card shows the copy, not the server's answer
  function openRows() { return rows.filter(function (e) { return e.open && !e.acknowledged_at; }); }
  function saveCopy() {
    try {
      const open = openRows();
      if (open.length) localStorage.setItem(COPY_KEY, JSON.stringify({ at: new Date().toISOString(), rows: open }));
      else localStorage.removeItem(COPY_KEY);
    } catch (e) { /* private mode or full: the live card still works */ }
  }
  function loadCopy() {
    try {
      const copy = JSON.parse(localStorage.getItem(COPY_KEY) || "null");
      if (!copy || !Array.isArray(copy.rows)) return;
      if (Date.now() - Date.parse(copy.at) > COPY_MAX_MS) { localStorage.removeItem(COPY_KEY); return; }
      rows = copy.rows;
      copiedAt = new Date(copy.at);
    } catch (e) { /* an unreadable copy is no copy */ }
  }
  const signOut = document.querySelector("form.logout");
  if (signOut) signOut.addEventListener("submit", function () { try { localStorage.removeItem(COPY_KEY); } catch (e) { /* ignore */ } });

  function render() {
    const open = openRows();
    box.hidden = !open.length;
    box.innerHTML = open.length
      ? '<h2 id="care-alerts-h">Overdue hand-offs: ' + open.length + "</h2>" +
        (copiedAt ? '<p class="small muted" id="care-alerts-copy">Not live: as this phone last had them at ' +
          L_.hhmm(copiedAt) + ". They update when the connection is back.</p>" : "") +
        '<ul class="esc-list">' + open.map(function (e) {
          const due = new Date(e.due_at);
          return '<li id="phone-escalation-' + e.id + '"><div><span class="kind">' + esc(e.kind) +
            (e.level === "supervisor" ? " · supervisor" : "") + "</span>" +
            (e.url ? '<a href="' + esc(e.url) + '">' + esc(e.title) + "</a>" : esc(e.title)) +
            '<br><span class="small muted">was due ' + due.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" }) +
            " " + L_.hhmm(due) + "</span></div>" +
            '<button type="button" class="big" data-ack-escalation="' + e.id + '">Acknowledge</button></li>';
        }).join("") + "</ul>"
      : "";
  }

  loadCopy();
  render();
  const live = L_.connect({
    snapshotUrl: box.dataset.snapshotUrl,
    socketPath: box.dataset.socketPath,
    quiet: true, // the call's own connection says whether the phone is live
    onSnapshot: function (data) { rows = data.escalations || []; copiedAt = null; saveCopy(); render(); },
    onEvent: function (ev) {
      if (ev.kind !== "care.escalation") return;
      const row = ev.data || {};
      rows = rows.filter(function (e) { return e.id !== row.id; }).concat([row]);
      saveCopy();
      render();
    },
  });

  box.addEventListener("click", function (e) {
    const t = e.target.closest("button[data-ack-escalation]");
    if (!t) return;
    t.disabled = true;
    const id = t.dataset.ackEscalation;
    L_.api("POST", box.dataset.ackUrl.replace("/0/", "/" + id + "/"), {}).then(function (res) {
      if (res.ok || res.status === 409) live.sync(); // 409: someone on the team got there first
      else { t.disabled = false; t.textContent = "Acknowledge (failed: " + res.error + ")"; }
    }).catch(function () { t.disabled = false; t.textContent = "Acknowledge (offline: tap again)"; });
  });
  window.crisisCareAlerts = live;
})();
