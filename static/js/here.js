// An officer's request carries where the officer is: the browser's position fills the hidden latitude and
// longitude fields, and is named in words (reverse geocoding) so the officer can see it is right. When the
// position is refused or unavailable, the page says so plainly and the address field becomes the way.
(function () {
  const box = document.querySelector("[data-here]");
  if (!box) return;
  const form = box.closest("form");
  const lat = form.querySelector("[name=latitude]"), lon = form.querySelector("[name=longitude]");
  const address = form.querySelector("[name=address]");

  function missing(text) {
    lat.value = lon.value = "";
    box.dataset.state = "missing";
    box.textContent = text;
    address.required = true;
    address.focus();
  }
  if (!navigator.geolocation) { missing("This device cannot share its position: type the address where you are."); return; }
  navigator.geolocation.getCurrentPosition(function (p) {
    const la = p.coords.latitude, lo = p.coords.longitude, acc = Math.round(p.coords.accuracy);
    lat.value = la.toFixed(6);
    lon.value = lo.toFixed(6);
    box.dataset.state = "found";
    const coords = la.toFixed(5) + ", " + lo.toFixed(5) + " (±" + acc + " m)";
    box.innerHTML = "Your position is sent with the request.<small></small>";
    box.querySelector("small").textContent = coords;
    const q = new URLSearchParams({ lat: la.toFixed(6), lon: lo.toFixed(6) });
    fetch(box.dataset.reverseUrl + "?" + q, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; }, function () { return null; })
      .then(function (body) {
        if (!body || !body.words) return; // coordinates stay the words; the address field is there
        box.firstChild.textContent = "Your position: " + body.words + ". It is sent with the request.";
        if (!address.value.trim()) address.value = body.place && body.place.distance_m < 30 ? body.place.short : body.words;
      });
  }, function (err) {
    missing(err && err.code === 1
      ? "Location is off for this page: type the address where you are."
      : "No position from this device: type the address where you are.");
  }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 30000 });
})();
