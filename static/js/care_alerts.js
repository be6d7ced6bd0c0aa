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

  function render() {
    const open = rows.filter(function (e) { return e.open && !e.acknowledged_at; });
    box.hidden = !open.length;
    box.innerHTML = open.length
      ? '<h2 id="care-alerts-h">Overdue hand-offs: ' + open.length + "</h2>" +
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

  const live = L_.connect({
    snapshotUrl: box.dataset.snapshotUrl,
    socketPath: box.dataset.socketPath,
    quiet: true, // the call's own connection says whether the phone is live
    onSnapshot: function (data) { rows = data.escalations || []; render(); },
    onEvent: function (ev) {
      if (ev.kind !== "care.escalation") return;
      const row = ev.data || {};
      rows = rows.filter(function (e) { return e.id !== row.id; }).concat([row]);
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
