// Alarm tones made with WebAudio: no sound file, nothing from a CDN. Shared by the board's alarm
// (alarm.js) and the responder's phone (responder.js).
//
// Browsers refuse to start audio before the user has touched the page (autoplay policy): the first
// pointer or key press unlocks it, and `ready()` says whether sound can play now.
(function () {
  "use strict";
  // [frequency Hz (0 = pause), seconds]: an SOS is the fastest and highest, a P1 a falling two-tone,
  // unrouted a low pair, an offer a rising three-note call that stands out from a ringtone.
  const PATTERNS = {
    sos: [[1320, 0.12], [0, 0.06], [1320, 0.12], [0, 0.06], [1320, 0.12], [0, 0.06], [1320, 0.12], [0, 0.06], [1320, 0.12]],
    p1: [[880, 0.22], [660, 0.22], [880, 0.22], [660, 0.22]],
    unrouted: [[520, 0.3], [0, 0.12], [520, 0.3]],
    offer: [[660, 0.16], [880, 0.16], [1100, 0.3], [0, 0.2], [660, 0.16], [880, 0.16], [1100, 0.3]],
  };
  let ctx = null;
  const listeners = [];
  function context() {
    if (ctx) return ctx;
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    try { ctx = new AC(); } catch (e) { ctx = null; }
    if (ctx) ctx.onstatechange = function () { listeners.forEach(function (f) { f(); }); };
    return ctx;
  }
  function ready() { return !!ctx && ctx.state === "running"; }
  function unlock() {
    const ac = context();
    return ac && ac.state === "suspended" ? ac.resume().catch(function () {}) : Promise.resolve();
  }
  // Schedules the pattern; returns false when this browser has no WebAudio at all.
  function play(kind) {
    const ac = context();
    if (!ac) return false;
    if (ac.state === "suspended") ac.resume().catch(function () {});
    let at = ac.currentTime + 0.02;
    for (const step of PATTERNS[kind] || PATTERNS.p1) {
      const freq = step[0], dur = step[1];
      if (freq) {
        const osc = ac.createOscillator();
        const gain = ac.createGain();
        osc.type = "square";
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.25, at + 0.01);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + dur);
        osc.connect(gain).connect(ac.destination);
        osc.start(at);
        osc.stop(at + dur + 0.02);
      }
      at += dur;
    }
    return true;
  }
  document.addEventListener("pointerdown", unlock, { capture: true });
  document.addEventListener("keydown", unlock, { capture: true });
  context();
  window.CrisisTones = { play: play, ready: ready, unlock: unlock, onChange: function (f) { listeners.push(f); } };
})();
