// Offer notifications on the responder's phone (Web Push through static/js/sw.js, dispatch/push.py).
// A button turns them on for this browser (the permission prompt needs a tap); the line under it says
// what is true now, so a responder knows whether a pocketed phone will ring.
(function () {
  "use strict";
  const labels = JSON.parse(document.getElementById("labels").textContent);
  const box = document.getElementById("push-box");
  if (!box) return;
  const line = document.getElementById("push-state");
  const button = document.getElementById("push-on");
  const key = labels.push_public_key;

  function show(state, text, offerButton) {
    box.hidden = false;
    box.dataset.state = state;
    line.textContent = text;
    button.hidden = !offerButton;
  }
  if (!key) { box.hidden = true; return; }
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    show("unsupported", "This browser cannot show offer notifications: keep this page open.", false);
    return;
  }
  function keyBytes(b64) {
    const s = atob((b64 + "===".slice((b64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(s, function (ch) { return ch.charCodeAt(0); });
  }
  function save(sub) {
    return window.CrisisLive.api("POST", "/api/push/subscriptions/", sub.toJSON()).then(function (res) {
      if (res.ok) show("on", "Offer notifications are on for this phone.", false);
      else show("error", "Offer notifications not saved: " + res.error, true);
    });
  }
  const registering = navigator.serviceWorker.register(box.dataset.worker);
  function refresh() {
    registering.then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
      if (Notification.permission === "denied") show("blocked", "Notifications are blocked for this site in the browser's settings.", false);
      else if (sub) save(sub); // keep the server's copy current (it may have dropped an expired one)
      else show("off", "Offer notifications are off: the phone rings only while this page is open.", true);
    }).catch(function (e) { show("error", "Offer notifications unavailable: " + e.message, false); });
  }
  button.addEventListener("click", function () {
    button.disabled = true;
    Notification.requestPermission().then(function (perm) {
      if (perm !== "granted") { refresh(); return null; }
      return registering.then(function (reg) {
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
      }).then(save);
    }).catch(function (e) {
      show("error", "Could not turn on notifications: " + e.message, true);
    }).then(function () { button.disabled = false; });
  });
  refresh();
})();
