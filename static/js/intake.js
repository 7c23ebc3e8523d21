// Referral form: when the legal basis changes, offer that basis's default sessions, unless
// the referrer has already chosen them. The form works the same without this script.
// Listeners sit on the form, not the radios: "Show the deadline" below puts new radios in.
(function () {
  "use strict";
  var form = document.querySelector("form[data-needs-defaults]");
  if (!form) { return; }
  var defaults = JSON.parse(form.getAttribute("data-needs-defaults"));
  var touched = false;
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "needs") { touched = true; return; }
    if (target.name !== "legal_basis" || touched || !target.checked) { return; }
    var wanted = defaults[target.value] || [];
    form.querySelectorAll("input[name=needs]").forEach(function (box) { box.checked = wanted.indexOf(box.value) !== -1; });
  });
})();

// Fields for one legal basis only (the temporary act's window) are shown when that basis is chosen.
function showBasisFields(form) {
  "use strict";
  var chosen = form.querySelector("input[name=legal_basis]:checked");
  form.querySelectorAll("[data-basis-only]").forEach(function (wrapper) {
    wrapper.hidden = !chosen || wrapper.getAttribute("data-basis-only") !== chosen.value;
  });
}
(function () {
  "use strict";
  var form = document.querySelector("form[data-needs-defaults]");
  if (!form) { return; }
  showBasisFields(form);
  form.addEventListener("change", function (event) {
    if (event.target.name === "legal_basis") { showBasisFields(form); }
  });
})();

// "Show the deadline" asks the server without leaving the page: a round trip dropped the files the
// referrer had chosen (a browser never refills a file field). The answers the deadline is read from come
// back with their messages; without scripts the button sends the form as before.
(function () {
  "use strict";
  var form = document.querySelector("form[data-needs-defaults]");
  var button = form && form.querySelector("button[name=action][value=preview]");
  var slot = document.getElementById("deadline-preview");
  if (!button || !slot || !window.fetch || !window.DOMParser) { return; }
  button.addEventListener("click", function (event) {
    event.preventDefault();
    var data = new FormData(form);
    form.querySelectorAll("input[type=file]").forEach(function (input) { data.delete(input.name); });
    data.set("action", "preview");
    button.setAttribute("aria-busy", "true");
    fetch(form.getAttribute("action") || window.location.href, {method: "POST", body: data, credentials: "same-origin"})
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("deadline-preview");
        if (!fresh) { throw new Error("no deadline in the answer"); }
        form.querySelectorAll("[data-deadline-field]").forEach(function (wrapper) {
          var name = wrapper.getAttribute("data-deadline-field");
          var answer = page.querySelector('[data-deadline-field="' + name + '"]');
          if (answer) { wrapper.replaceWith(document.importNode(answer, true)); }
        });
        showBasisFields(form);
        slot.innerHTML = fresh.innerHTML;
        var wrong = form.querySelector("[data-deadline-field] [aria-invalid=true]");
        if (wrong) { wrong.focus(); }
      })
      .catch(function () {  // the page's own way: a full round trip that shows the deadline (never sends)
        var action = document.createElement("input");
        action.type = "hidden"; action.name = "action"; action.value = "preview";
        form.appendChild(action);
        form.submit();
      })
      .then(function () { button.removeAttribute("aria-busy"); });
  });
})();

// Attachments: the browser refuses too many or too large files before sending. The service
// checks the same limits, but an upload over the request limit is cut off before the form can be
// read and shown again, so what the referrer typed would be lost.
(function () {
  "use strict";
  var input = document.querySelector("input[type=file][data-max-bytes]");
  if (!input) { return; }
  var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10);
  var maxFiles = parseInt(input.getAttribute("data-max-files"), 10);
  input.addEventListener("change", function () {
    var problems = [];
    if (input.files.length > maxFiles) { problems.push(input.getAttribute("data-too-many")); }
    Array.prototype.forEach.call(input.files, function (file) {
      if (file.size > maxBytes) { problems.push(input.getAttribute("data-too-large").replace("{name}", file.name)); }
    });
    input.setCustomValidity(problems.join(" "));
    if (problems.length) { input.reportValidity(); }
  });
})();
