// The service worker of the responder's phone: shows an offer pushed by the server (dispatch/push.py)
// when the page is closed or the phone is in a pocket, and opens the phone page when tapped.
/* global self, clients */
"use strict";

self.addEventListener("push", function (event) {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { title: "New call offered" }; }
  event.waitUntil(self.registration.showNotification(data.title || "New call offered", {
    body: data.body || "Open the app to accept or decline.",
    tag: data.tag || "offer",
    renotify: true, // a second offer must ring again, not replace the first silently
    requireInteraction: true,
    vibrate: [400, 200, 400, 200, 400],
    data: { url: data.url || "/responder/" },
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/responder/";
  event.waitUntil(clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
    for (const c of list) if (new URL(c.url).pathname === url && "focus" in c) return c.focus();
    return clients.openWindow(url);
  }));
});
