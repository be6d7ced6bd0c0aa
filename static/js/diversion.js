// The diversion console's queue, live over live.js's protocol (snapshot + numbered events): calls transferred
// from 911 waiting (oldest first, with how long), those with a clinician, and those ended in the last hours.
(function () {
  "use strict";
  const L_ = window.CrisisLive;
  const esc = L_.esc;
  const app = document.getElementById("diversion-app");
  const rows = new Map();
  let me = null;
  let skew = 0; // server clock minus ours, from the snapshot

  function since(iso) { return L_.duration((Date.now() + skew - new Date(iso).getTime()) / 1000); }

  function item(d) {
    const who = d.clinician ? (me && d.clinician.id === me.id ? "You" : esc(d.clinician.name)) : "";
    const when = d.status === "waiting" ? '<span class="clock" data-since="' + esc(d.transferred_at) + '">' + since(d.transferred_at) + "</span> · " : "";
    return '<li data-diversion="' + d.id + '" class="q-' + esc(d.status) + '"><a href="' + esc(d.url) + '"><strong>' +
      esc(d.nature) + "</strong></a><br><span class=\"meta\">" + when + "CAD " + esc(d.cad_incident_id) + " · " +
      esc(d.address) + (d.callback_number ? " · " + esc(d.callback_number) : "") + (who ? " · " + who : "") +
      (d.status === "resolved" || d.status === "escalated" ? " · " + esc(d.status_label) : "") + "</span></li>";
  }

  function render() {
    const all = Array.from(rows.values());
    const fill = function (id, list, empty) {
      document.getElementById(id).innerHTML = list.length ? list.map(item).join("") : '<li class="muted">' + empty + "</li>";
    };
    const waiting = all.filter(function (d) { return d.status === "waiting"; });
    fill("waiting", waiting, "No call waiting.");
    fill("working", all.filter(function (d) { return d.status === "in_progress"; }), "None.");
    fill("ended", all.filter(function (d) { return d.status === "resolved" || d.status === "escalated"; }).reverse(), "None.");
    const count = document.getElementById("waiting-count");
    count.textContent = waiting.length;
    count.classList.toggle("danger", waiting.length > 0);
  }

  setInterval(function () {
    document.querySelectorAll(".clock[data-since]").forEach(function (el) { el.textContent = since(el.dataset.since); });
  }, 1000);

  L_.connect({
    snapshotUrl: app.dataset.snapshotUrl,
    socketPath: app.dataset.socketPath,
    stateEl: document.getElementById("conn"),
    onSnapshot: function (data) {
      me = data.me;
      skew = new Date(data.now).getTime() - Date.now();
      rows.clear();
      data.diversions.forEach(function (d) { rows.set(d.id, d); });
      render();
    },
    onEvent: function (ev) {
      if (ev.kind !== "diversion.updated") return;
      const old = rows.get(ev.data.id);
      if (old && old.version > ev.data.version) return;
      rows.set(ev.data.id, ev.data);
      render();
    },
  });
})();
