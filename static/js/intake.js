// Referral form: when the legal basis changes, offer that basis's default sessions, unless
// the referrer has already chosen them. The form works the same without this script.
(function () {
  "use strict";
  var form = document.querySelector("form[data-needs-defaults]");
  if (!form) { return; }
  var defaults = JSON.parse(form.getAttribute("data-needs-defaults"));
  var touched = false;
  var needs = form.querySelectorAll("input[name=needs]");
  needs.forEach(function (box) { box.addEventListener("change", function () { touched = true; }); });
  form.querySelectorAll("input[name=legal_basis]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (touched || !radio.checked) { return; }
      var wanted = defaults[radio.value] || [];
      needs.forEach(function (box) { box.checked = wanted.indexOf(box.value) !== -1; });
    });
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
