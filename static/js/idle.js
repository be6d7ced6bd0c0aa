// Idle logoff warning. The server ends a session SESSION_IDLE_SECONDS after the user's last request
// (crisis/sessions.py); this script tells the user a minute before, offers to stay signed in, and
// counts typing, clicks and taps on the page as activity, telling the server at most once a minute.
(function () {
  "use strict";
  const script = document.getElementById("idle-script");
  if (!script) return;
  const idleMs = Number(script.dataset.idleSeconds) * 1000;
  if (!idleMs) return;
  const warnMs = Math.min(60000, idleMs / 2);
  const loginUrl = script.dataset.loginUrl;
  const keepaliveUrl = script.dataset.keepaliveUrl;
  let lastTold = Date.now();  // this page's own load was a request the server counted
  let banner = null;

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    const meta = document.querySelector("meta[name=csrf-token]");
    return input ? input.value : meta ? meta.content : "";
  }
  function signedOut() {
    const next = location.pathname + location.search;
    location.assign(loginUrl + "?idle=1&next=" + encodeURIComponent(next));
  }
  function tellServer() {
    lastTold = Date.now();
    hideBanner();
    fetch(keepaliveUrl, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() } })
      .then(function (r) { if (r.status !== 204) signedOut(); })
      .catch(function () { /* offline: the next check tells */ });
  }
  function hideBanner() {
    if (banner) { banner.remove(); banner = null; }
  }
  function showBanner(seconds) {
    if (!banner) {
      banner = document.createElement("div");
      banner.className = "idle-warning";
      banner.setAttribute("role", "alertdialog");
      banner.setAttribute("aria-live", "assertive");
      const text = document.createElement("span");
      const stay = document.createElement("button");
      stay.type = "button";
      stay.className = "primary";
      stay.textContent = "Stay signed in";
      stay.addEventListener("click", tellServer);
      banner.append(text, stay);
      document.body.prepend(banner);
      stay.focus();
    }
    banner.firstChild.textContent = "No activity: you will be signed out in " + seconds + " s. ";
  }
  function check() {
    const left = idleMs - (Date.now() - lastTold);
    if (left <= 0) return signedOut();
    if (left <= warnMs) showBanner(Math.ceil(left / 1000));
    else hideBanner();
  }
  ["keydown", "pointerdown", "touchstart"].forEach(function (kind) {
    document.addEventListener(kind, function (event) {
      if (banner && banner.contains(event.target)) return;
      if (Date.now() - lastTold > Math.min(60000, idleMs / 4)) tellServer();
    }, { passive: true, capture: true });
  });
  setInterval(check, 1000);
})();
