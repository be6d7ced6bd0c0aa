// The board's alarm: a sound and a visual flash on a new P1 call, an SOS and a call flagged unrouted.
//
// The sound is made with WebAudio (tones.js: no file, no CDN). Which events sound comes from the server
// (BOARD_ALARM_EVENTS, in the page's "alarm-config"); each desk can mute itself, remembered in
// localStorage, and the toggle then reads "Sound off" in red so nobody forgets it is muted. Muting
// silences the sound only: the flash and the banner still show, an SOS must never go unseen.
//
// Browsers refuse to start audio before the user has touched the page (autoplay policy): until the
// dispatcher clicks or types once, the toggle says "Click to enable sound" instead of pretending.
//
// What happened is observable for tests and for a supervisor checking a desk:
// window.CrisisAlarm.counts and <html data-alarm-fired / data-alarm-sounded / data-alarm-last>.
(function () {
  "use strict";
  const MUTE_KEY = "crisis.board.sound";
  const cfgEl = document.getElementById("alarm-config");
  const cfg = cfgEl ? JSON.parse(cfgEl.textContent) : { events: [], sos_repeat_seconds: 0 };
  const enabled = new Set(cfg.events || []);
  const root = document.documentElement;
  const toggle = document.getElementById("sound-toggle");
  const banner = document.getElementById("alarm-banner");
  const counts = { fired: 0, sounded: 0, flashed: 0, by_kind: {} };

  const TITLES = { sos: "SOS", p1: "New P1 call", unrouted: "No team for a call" };
  const tones = window.CrisisTones;

  function muted() {
    try { return localStorage.getItem(MUTE_KEY) === "off"; } catch (e) { return false; }
  }
  function setMuted(value) {
    try { if (value) localStorage.setItem(MUTE_KEY, "off"); else localStorage.removeItem(MUTE_KEY); } catch (e) { /* private mode */ }
    render();
  }
  function blocked() { return !tones || !tones.ready(); }

  function render() {
    if (!toggle) return;
    const off = muted();
    toggle.setAttribute("aria-pressed", off ? "true" : "false");
    toggle.dataset.state = off ? "off" : !enabled.size ? "disabled" : blocked() ? "blocked" : "on";
    toggle.textContent = off ? "Sound off" : !enabled.size ? "Alarm sound disabled" : blocked() ? "Click to enable sound" : "Sound on";
    toggle.title = off ? "This desk is muted: alarms only flash. Click to turn the sound back on."
      : "Alarm sounds on a new P1 call, an SOS and a call with no team. Click to mute this desk.";
    root.dataset.alarmMuted = off ? "1" : "0";
  }

  let flashTimer = null;
  function flash(kind, text) {
    counts.flashed += 1;
    root.classList.remove("alarm-flash", "alarm-sos", "alarm-p1", "alarm-unrouted");
    void root.offsetWidth; // restart the CSS animation when alarms come back to back
    root.classList.add("alarm-flash", "alarm-" + kind);
    clearTimeout(flashTimer);
    flashTimer = setTimeout(function () { root.classList.remove("alarm-flash"); }, 4000);
    if (banner) {
      banner.hidden = false;
      banner.dataset.kind = kind;
      banner.textContent = TITLES[kind] + (text ? ": " + text : "") + " · " + (window.CrisisLive ? window.CrisisLive.hhmm(new Date()) : "");
    }
  }

  function publish(kind) {
    root.dataset.alarmFired = String(counts.fired);
    root.dataset.alarmSounded = String(counts.sounded);
    root.dataset.alarmLast = kind;
  }

  // An event happened: flash, and sound unless this desk is muted. Returns whether it sounded.
  function trigger(kind, text) {
    if (!enabled.has(kind)) return false;
    counts.fired += 1;
    counts.by_kind[kind] = (counts.by_kind[kind] || 0) + 1;
    flash(kind, text);
    let sounded = false;
    // Counted as sounded only when the browser lets audio play (not blocked by the autoplay policy).
    if (!muted() && tones) sounded = tones.play(kind) && tones.ready();
    if (sounded) counts.sounded += 1;
    else if (!muted()) counts.blocked = (counts.blocked || 0) + 1;
    publish(kind);
    render();
    return sounded;
  }

  // A reminder for something still open (an unacknowledged SOS): sound only, no new banner.
  function remind(kind) {
    if (!enabled.has(kind) || muted()) return false;
    if (tones && tones.play(kind) && tones.ready()) { counts.sounded += 1; publish(kind); return true; }
    return false;
  }

  if (toggle) toggle.addEventListener("click", function () {
    // The click itself is the gesture the browser wants before audio may start.
    if (!muted() && blocked()) { if (tones) tones.unlock().then(render); return; }
    setMuted(!muted());
    if (!muted() && tones) tones.unlock().then(render);
  });
  if (banner) banner.addEventListener("click", function () { banner.hidden = true; });
  if (tones) tones.onChange(render);
  window.addEventListener("storage", function (e) { if (e.key === MUTE_KEY) render(); });

  render();
  window.CrisisAlarm = {
    trigger: trigger,
    remind: remind,
    muted: muted,
    setMuted: setMuted,
    counts: counts,
    enabled: function (kind) { return enabled.has(kind); },
    sosRepeatSeconds: cfg.sos_repeat_seconds || 0,
  };
})();
