// Where the call is: type an address and pick a match (arrows + Enter), or click the small map; either fills the
// latitude and longitude fields. A clicked point is named in words (reverse geocoding). When the address service
// is down the box says so, and typing the address plus a map click still works: nothing here is required.
//
// Markup (templates/dispatch/intake.html): [data-place] holding the address input [data-place-address], the
// listbox [data-place-list], the status line [data-place-status], the map [data-place-map], and the coordinate
// inputs named by data-lat-field / data-lon-field, in the same form.
(function () {
  const root = document.querySelector("[data-place]");
  if (!root) return;
  const form = root.closest("form") || root.querySelector("form") || document;
  const input = root.querySelector("[data-place-address]");
  const list = root.querySelector("[data-place-list]");
  const status = root.querySelector("[data-place-status]");
  const lat = form.querySelector("[name=" + root.dataset.latField + "]");
  const lon = form.querySelector("[name=" + root.dataset.lonField + "]");
  const searchUrl = root.dataset.searchUrl, reverseUrl = root.dataset.reverseUrl;
  let results = [], active = -1, timer = null, asked = 0, map = null, marker = null;

  function say(text, state) {
    status.textContent = text;
    status.dataset.state = state || "";
    // A service that is down is an alert (said once, loudly); everything else is a polite status.
    status.setAttribute("role", state === "down" ? "alert" : "status");
  }
  function down() {
    say("Address search is down. Type the address as told, and click the map to set the position.", "down");
    close();
  }

  function get(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (r.status === 503) return { down: true };
      if (!r.ok) return { error: true };
      return r.json();
    }, function () { return { down: true }; });
  }

  // --- type-ahead -------------------------------------------------------------------
  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }
  function render() {
    list.innerHTML = "";
    results.forEach(function (p, i) {
      const li = document.createElement("li");
      li.id = "place-opt-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", String(i === active));
      li.textContent = p.label;
      li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(i); });
      list.appendChild(li);
    });
    list.hidden = results.length === 0;
    input.setAttribute("aria-expanded", String(results.length > 0));
    if (active >= 0) input.setAttribute("aria-activedescendant", "place-opt-" + active);
    else input.removeAttribute("aria-activedescendant");
  }
  function search() {
    const q = input.value.trim();
    if (q.length < 2) { results = []; render(); return; }
    const mine = ++asked;
    get(searchUrl + "?" + new URLSearchParams({ q: q, limit: "8" })).then(function (body) {
      if (mine !== asked) return; // a newer keystroke's answer wins
      if (body.down) { down(); return; }
      if (body.error) return;
      results = body.results || [];
      active = results.length ? 0 : -1;
      render();
      if (!results.length) say("No match in the address list: keep the address as typed, and click the map.", "none");
      else if (status.dataset.state !== "set") say((results.length === 1 ? "1 match" : results.length + " matches") + ": ↑ ↓ to choose, Enter to pick.", "");
    });
  }
  function pick(i) {
    const p = results[i];
    if (!p) return;
    input.value = p.short || p.label;
    setPosition(p.latitude, p.longitude, false);
    say("Position set from the address list: " + p.label, "set");
    close();
    // Other listeners (prior calls at this address) hear the change as if typed.
    input.dispatchEvent(new Event("input", { bubbles: true }));
    results = [];
  }
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("autocomplete", "off");
  input.addEventListener("input", function (e) {
    if (!e.isTrusted) return; // our own event after a pick
    clearTimeout(timer);
    timer = setTimeout(search, 180);
  });
  input.addEventListener("keydown", function (e) {
    if (list.hidden || !results.length) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : -1) + results.length) % results.length;
      render();
    } else if (e.key === "Enter" && !(e.ctrlKey || e.metaKey) && active >= 0) {
      e.preventDefault(); // pick, don't submit the form
      pick(active);
    } else if (e.key === "Escape") {
      e.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", function () { setTimeout(close, 150); });

  // --- the map -------------------------------------------------------------------------
  function setPosition(la, lo, fromMap) {
    lat.value = (+la).toFixed(6);
    lon.value = (+lo).toFixed(6);
    lat.dispatchEvent(new Event("change", { bubbles: true }));
    if (map) {
      const p = [+la, +lo];
      if (!marker) marker = window.L.circleMarker(p, { radius: 9, weight: 3, className: "place-marker" }).addTo(map);
      else marker.setLatLng(p);
      if (!fromMap) map.setView(p, Math.max(map.getZoom(), 16));
    }
  }
  function reverse(la, lo) {
    say("Position set on the map. Looking up the nearest address…", "set");
    get(reverseUrl + "?" + new URLSearchParams({ lat: la.toFixed(6), lon: lo.toFixed(6) })).then(function (body) {
      if (body.down) { down(); return; }
      if (body.error) return;
      if (!body.words) { say("Position set on the map (" + la.toFixed(5) + ", " + lo.toFixed(5) + "): no known address nearby. Type a landmark.", "set"); return; }
      // An address the dispatcher typed is what the caller said: never overwrite it, only offer the words.
      if (!input.value.trim()) {
        input.value = body.place && body.place.distance_m < 30 ? body.place.short : body.words;
        input.dispatchEvent(new Event("input", { bubbles: true }));
      }
      say("Position set on the map: " + body.words, "set");
    });
  }
  const mapEl = root.querySelector("[data-place-map]");
  if (window.L && mapEl) {
    const start = lat.value && lon.value ? [+lat.value, +lon.value] : [+mapEl.dataset.lat, +mapEl.dataset.lon];
    map = window.L.map(mapEl, { zoomControl: true, keyboard: false }).setView(start, lat.value ? 16 : 12);
    // Tiles may not load (offline); a click still sets the position and the marker is a vector.
    window.L.tileLayer(mapEl.dataset.tiles, { maxZoom: 19, attribution: "&copy; OpenStreetMap contributors" }).addTo(map);
    if (lat.value && lon.value) setPosition(lat.value, lon.value, true);
    map.on("click", function (e) {
      setPosition(e.latlng.lat, e.latlng.lng, true);
      reverse(e.latlng.lat, e.latlng.lng);
    });
  }
  // Coordinates typed by hand move the marker too.
  [lat, lon].forEach(function (el) {
    el.addEventListener("change", function () {
      if (map && lat.value && lon.value && isFinite(+lat.value) && isFinite(+lon.value)) {
        const p = [+lat.value, +lon.value];
        if (!marker) marker = window.L.circleMarker(p, { radius: 9, weight: 3, className: "place-marker" }).addTo(map);
        else marker.setLatLng(p);
      }
    });
  });
})();
