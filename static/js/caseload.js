// "My caseload today", live: the caseload socket (/ws/care/) carries escalations of stalled hand-offs over
// live.js's protocol. The page is rendered on the server; on every snapshot (connect, gap, restart) and every
// escalation event it fetches the rendered list again, so there is one renderer (the template).
(function () {
  "use strict";
  const L_ = window.CrisisLive;
  const app = document.getElementById("caseload-app");
  let pending = null;
  let again = false;

  function refresh() {
    // A change that arrives while a fetch is on its way may be newer than what that fetch reads: fetch once more
    // after it (dropping the request lost an escalation whenever the first snapshot's fetch was slow).
    if (pending) { again = true; return; }
    pending = fetch(app.dataset.listUrl, { credentials: "same-origin", headers: { "X-Idle-Passive": "1" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html) app.innerHTML = html;
      })
      .catch(function () {})
      .finally(function () {
        pending = null;
        if (again) { again = false; refresh(); }
      });
  }

  const live = L_.connect({
    snapshotUrl: app.dataset.snapshotUrl,
    socketPath: app.dataset.socketPath,
    stateEl: document.getElementById("conn"),
    onSnapshot: function () { refresh(); },
    onEvent: function (ev) {
      if (ev.kind === "care.escalation") refresh();
    },
  });
  window.crisisCaseload = live;
})();
