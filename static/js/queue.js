// The Queue page is drawn by the server; this keeps it honest. It follows the same socket and snapshot as the
// board and, when a call is added, changes or leaves the queue after the page was drawn, says so in a banner with
// one button that redraws the list. It never reloads by itself: a timed reload would keep an idle desk signed in
// past its idle timeout, and the list jumping under a dispatcher's pointer would make them click the wrong call.
(function () {
  "use strict";
  const L_ = window.CrisisLive;
  const box = document.getElementById("queue-changed");
  if (!L_ || !box) return;
  const text = document.getElementById("queue-changed-text");
  const CLOSED = { closed: true, cancelled: true };
  const title = document.title;

  // What this page shows: call id -> its version when drawn.
  const shown = new Map();
  for (const row of document.querySelectorAll("tr[data-call]")) shown.set(+row.dataset.call, +row.dataset.version);
  // What changed since: call id -> "new" | "changed" | "left". A call counts once, by its latest state.
  const changes = new Map();

  function note(call) {
    const drawn = shown.get(call.id);
    const open = !CLOSED[call.status];
    if (drawn === undefined) {
      if (open) changes.set(call.id, "new");
      else changes.delete(call.id); // arrived and left again since the page was drawn
    } else if (!open) {
      changes.set(call.id, "left");
    } else if (call.version > drawn) {
      changes.set(call.id, "changed");
    }
  }
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }
  function render() {
    const count = { new: 0, changed: 0, left: 0 };
    for (const kind of changes.values()) count[kind] += 1;
    const parts = [];
    if (count.new) parts.push(plural(count.new, "new call", "new calls"));
    if (count.changed) parts.push(plural(count.changed, "call changed", "calls changed"));
    if (count.left) parts.push(plural(count.left, "call left the queue", "calls left the queue"));
    box.hidden = !parts.length;
    const loaded = new Date(box.dataset.loadedAt);
    text.textContent = parts.length ? "Since this list was drawn at " + L_.hhmm(loaded) + ": " + parts.join(", ") + "." : "";
    document.title = (changes.size ? "(" + changes.size + ") " : "") + title;
    // Mark the drawn rows that are out of date, so the dispatcher does not act on them unawares.
    for (const row of document.querySelectorAll("tr[data-call]")) {
      const kind = changes.get(+row.dataset.call) || "";
      if ((row.dataset.stale || "") === kind) continue;
      row.dataset.stale = kind;
      const old = row.querySelector(".stale-mark");
      if (old) old.remove();
      if (!kind) continue;
      const mark = document.createElement("strong");
      mark.className = "stale-mark badge " + (kind === "left" ? "muted" : "warn");
      mark.textContent = kind === "left" ? "Left the queue" : "Changed";
      row.querySelector("td.status").append(" ", mark);
    }
  }

  document.getElementById("queue-reload").addEventListener("click", function () { location.reload(); });

  const live = L_.connect({
    snapshotUrl: "/api/board/",
    stateEl: document.getElementById("conn"),
    onSnapshot: function (data) {
      // A (re)connect: the snapshot is the queue now. Anything drawn and no longer in it has left.
      const now = new Set();
      for (const c of data.calls) { now.add(c.id); note(c); }
      for (const id of shown.keys()) if (!now.has(id)) changes.set(id, "left");
      for (const [id, kind] of changes) if (kind === "new" && !now.has(id)) changes.delete(id);
      render();
    },
    onEvent: function (ev) {
      const d = ev.data || {};
      if (!d.call) return;
      note(d.call);
      render();
    },
  });
  window.crisisQueue = { live: live, changes: changes };
})();
