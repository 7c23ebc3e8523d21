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
