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
  // The source is remembered per desk (this browser): a 988 desk takes 988 calls all shift.
  const SOURCE_KEY = "crisis.intake.source";
  const source = form.querySelector("[name=source]");
  if (source) {
    let stored = null;
    try { stored = window.localStorage.getItem(SOURCE_KEY); } catch (err) { stored = null; }
    const known = stored && Array.prototype.some.call(source.options, function (o) { return o.value === stored; });
    if (!source.value && known) source.value = stored;
    source.addEventListener("change", function () {
      try { window.localStorage.setItem(SOURCE_KEY, source.value); } catch (err) { /* private mode: not kept */ }
    });
  }
  // Alt+R/S/C/W: to the first question of a screen group (the legend on the page lists them).
  document.addEventListener("keydown", function (e) {
    if (!e.altKey || e.ctrlKey || e.metaKey || !/^Key[A-Z]$/.test(e.code)) return;
    const group = form.querySelector('[data-screen-key="' + e.code.slice(3) + '"]');
    if (!group) return;
    const field = group.querySelector("input, select");
    if (!field) return;
    e.preventDefault();
    field.focus();
  });
  // First an error, else the first field the dispatcher has to fill (past a remembered source).
  const first = form.querySelector(".invalid input, .invalid select, .invalid textarea") ||
    (source && source.value ? form.querySelector("[name=callback_number]") : source) ||
    form.querySelector("select, input:not([type=hidden])");
  first && first.focus();
})();
