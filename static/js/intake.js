// Intake: show prior calls at the address while the call is taken, and
// submit with Ctrl+Enter so the dispatcher never leaves the keyboard.
(function () {
  const form = document.getElementById("intake");
  const box = document.getElementById("history");
  if (!form || !box) return;
  const address = form.querySelector("[name=address]");
  const person = form.querySelector("[name=person]");
  const callback = form.querySelector("[name=callback_number]");
  let timer = null;
  function lookup() {
    // The callback number too: the answer warns of a possible duplicate (same address or number, recently).
    const phone = (callback && callback.value) || "";
    const params = new URLSearchParams({ address: address.value || "", person: (person && person.value) || "", callback: phone });
    if ((address.value || "").trim().length < 4 && !(person && person.value) && phone.replace(/\D/g, "").length < 7) return;
    fetch(box.dataset.url + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { if (html) box.innerHTML = html; });
  }
  function later() { clearTimeout(timer); timer = setTimeout(lookup, 400); }
  address && address.addEventListener("input", later);
  person && person.addEventListener("change", lookup);
  callback && callback.addEventListener("input", later);
  form.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
  });
  const first = form.querySelector(".invalid input, .invalid select, .invalid textarea") || form.querySelector("select, input:not([type=hidden])");
  first && first.focus();
})();
