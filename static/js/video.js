// A consult's video call, browser to browser (WebRTC). The server only relays the signalling over the
// authenticated socket and records who joined and for how long; the media never passes through it.
//
// Who offers: whoever is already in the call when the other side joins ("peer-joined"), so the two never
// offer at once. A lost connection ends that session on the server; the side still here waits and joins a
// new one when the other comes back. A camera that is blocked or missing is said plainly, with what to do.
(function () {
  "use strict";
  const L_ = window.CrisisLive;
  const app = document.getElementById("video-app");
  const $ = function (id) { return document.getElementById(id); };
  const other = app.dataset.other || "the other side";
  const iceServers = JSON.parse($("ice-servers").textContent);
  const stateEl = $("video-state");
  const remote = $("remote");
  const local = $("local");

  let ws = null;
  let pc = null;
  let stream = null;
  let joined = false;
  let hungUp = false;
  let retryMs = 1000;
  let connectedAt = null;
  let pendingCandidates = [];

  function say(state, text) { stateEl.dataset.state = state; stateEl.textContent = text; }
  function show(id, on) { $(id).hidden = !on; }

  // --- the camera ------------------------------------------------------------------------------
  function cameraProblem(err) {
    const name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "Camera blocked: this browser is not allowing the camera or microphone for this site. Allow them " +
        "(the camera icon in the address bar, or the tablet's settings), then press “Try the camera again”.";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return "No camera found on this device. You can still join to see and hear " + other + ".";
    }
    if (name === "NotReadableError") {
      return "The camera is in use by another app. Close it, then press “Try the camera again”.";
    }
    return "Camera not available" + (name ? " (" + name + ")" : "") + ". You can still join to see and hear " + other + ".";
  }

  function startCamera() {
    show("camera-problem", false);
    show("retry-camera", false);
    show("join-anyway", false);
    say("starting", "Starting your camera…");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraFailed({ name: "NotSupported" });
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: true })
      .then(function (s) { stream = s; local.srcObject = s; local.hidden = false; openSocket(); }, cameraFailed);
  }
  function cameraFailed(err) {
    $("camera-problem").textContent = cameraProblem(err);
    show("camera-problem", true);
    show("retry-camera", true);
    show("join-anyway", true);
    say("no-camera", "Your camera is not on.");
  }

  // --- signalling ------------------------------------------------------------------------------
  function send(msg) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(msg)); }

  function openSocket() {
    if (ws) return;
    say("connecting", "Connecting…");
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + location.host + app.dataset.socketPath);
    ws.onmessage = function (e) { onMessage(JSON.parse(e.data)); };
    ws.onclose = function (e) {
      ws = null;
      joined = false;
      closePeer();
      show("hang-up", false);
      if (e.code === 4401) { say("ended", "Signed out: sign in again to rejoin the call."); return; }
      if (e.code === 4403 || e.code === 4409) { say("ended", "This call is not open to you now (the consult may be closed)."); return; }
      if (hungUp) return;
      say("connecting", "Connection lost: reconnecting…");
      setTimeout(openSocket, retryMs);
      retryMs = Math.min(retryMs * 2, 15000);
    };
  }

  function onMessage(msg) {
    switch (msg.kind) {
      case "hello": retryMs = 1000; send({ kind: "join" }); break;
      case "joined":
        joined = true;
        hungUp = false;
        show("hang-up", true);
        show("call-again", false);
        if (msg.peer_present) say("connecting", "Connecting to " + other + "…");
        else say("waiting", "Waiting for " + other + " to join…");
        break;
      case "peer-joined": if (joined) { say("connecting", other + " joined: connecting…"); makeOffer(); } break;
      case "signal": if (joined) onSignal(msg.data); break;
      case "peer-left":
        closePeer();
        say("waiting", "Connection to " + other + " lost: waiting for them to come back…");
        send({ kind: "join" }); // a new session, which they join when they are back
        break;
      case "ended": ended(msg.data); break;
      case "error": say("failed", msg.message); break;
    }
  }

  function ended(data) {
    joined = false;
    closePeer();
    show("hang-up", false);
    const who = data && data.by ? data.by + " hung up." : "The call ended.";
    const lasted = data && data.duration_seconds ? " The call lasted " + L_.duration(data.duration_seconds) + "." : "";
    say("ended", who + lasted);
    show("call-again", true);
  }

  // --- the peer connection ---------------------------------------------------------------------
  function newPeer() {
    closePeer();
    pc = new RTCPeerConnection({ iceServers: iceServers });
    if (stream) stream.getTracks().forEach(function (t) { pc.addTrack(t, stream); });
    else { pc.addTransceiver("video", { direction: "recvonly" }); pc.addTransceiver("audio", { direction: "recvonly" }); }
    pc.onicecandidate = function (e) { if (e.candidate) send({ kind: "signal", data: { candidate: e.candidate.toJSON() } }); };
    pc.ontrack = function (e) { remote.srcObject = e.streams[0] || new MediaStream([e.track]); };
    pc.onconnectionstatechange = function () {
      app.dataset.pc = pc ? pc.connectionState : "closed";
      if (!pc) return;
      if (pc.connectionState === "connected") { connectedAt = connectedAt || Date.now(); tick(); }
      if (pc.connectionState === "failed") {
        say("failed", "No media path to " + other + " (network or firewall). Hang up and call again; if it " +
          "keeps failing, the administrator must configure a TURN server.");
      }
    };
    return pc;
  }
  function closePeer() {
    if (pc) { pc.onconnectionstatechange = null; pc.close(); }
    pc = null;
    connectedAt = null;
    pendingCandidates = [];
    remote.srcObject = null;
    app.dataset.pc = "closed";
    $("quality").textContent = "";
  }

  function makeOffer() {
    const p = newPeer();
    p.createOffer().then(function (offer) { return p.setLocalDescription(offer); })
      .then(function () { send({ kind: "signal", data: { description: p.localDescription.toJSON() } }); })
      .catch(function (err) { say("failed", "Could not start the call: " + err.message); });
  }

  function onSignal(data) {
    if (data.description) {
      const desc = data.description;
      const p = desc.type === "offer" ? newPeer() : pc;
      if (!p) return;
      p.setRemoteDescription(desc).then(function () {
        pendingCandidates.forEach(function (c) { p.addIceCandidate(c).catch(function () {}); });
        pendingCandidates = [];
        if (desc.type !== "offer") return null;
        return p.createAnswer().then(function (answer) { return p.setLocalDescription(answer); })
          .then(function () { send({ kind: "signal", data: { description: p.localDescription.toJSON() } }); });
      }).catch(function (err) { say("failed", "Could not connect the call: " + err.message); });
    } else if (data.candidate) {
      if (pc && pc.remoteDescription) pc.addIceCandidate(data.candidate).catch(function () {});
      else pendingCandidates.push(data.candidate);
    }
  }

  // --- what the people see: connected since, picture received --------------------------------
  function tick() {
    if (pc && pc.connectionState === "connected" && connectedAt) {
      say("connected", "Connected with " + other + " · " + L_.duration((Date.now() - connectedAt) / 1000));
    }
  }
  setInterval(function () {
    tick();
    if (!pc) { $("quality").textContent = ""; return; }
    pc.getStats().then(function (stats) {
      stats.forEach(function (s) {
        if (s.type === "inbound-rtp" && s.kind === "video") {
          const q = $("quality");
          q.dataset.frames = s.framesDecoded || 0;
          q.textContent = s.frameWidth ? "Receiving " + s.frameWidth + "×" + s.frameHeight +
            (s.framesPerSecond ? " · " + Math.round(s.framesPerSecond) + " fps" : "") : "No picture yet.";
        }
      });
    });
  }, 1000);

  $("hang-up").addEventListener("click", function () { hungUp = true; send({ kind: "hangup" }); });
  $("call-again").addEventListener("click", function () { hungUp = false; if (ws) send({ kind: "join" }); else openSocket(); });
  $("retry-camera").addEventListener("click", startCamera);
  $("join-anyway").addEventListener("click", function () {
    show("retry-camera", false);
    show("join-anyway", false);
    openSocket();
  });
  window.addEventListener("pagehide", function () { if (joined) send({ kind: "hangup" }); });
  startCamera();
})();
