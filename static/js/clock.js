// Waiting clocks tick every second without a reload.
(function () {
  function fmt(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(r).padStart(2, "0");
  }
  function tick() {
    const now = Date.now();
    document.querySelectorAll(".clock[data-since]").forEach(function (el) {
      const since = Date.parse(el.dataset.since);
      if (!isNaN(since)) el.textContent = fmt((now - since) / 1000);
    });
  }
  window.crisisClock = { fmt: fmt, tick: tick };
  tick();
  setInterval(tick, 1000);
})();
