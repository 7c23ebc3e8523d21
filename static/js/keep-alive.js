// Typing counts as using Veiled: while someone writes in a form, tell the server every few minutes
// (GET /account/alive), so the idle sign-out does not end the session under a long note. If the
// session has ended anyway (signed out on all devices, the maximum time), say so at once, before
// the text is sent and lost, so it can be copied first.
(function () {
  "use strict";
  var EVERY_MS = 4 * 60 * 1000;
  var last = Date.now();
  var warned = false;
  var url = document.body.getAttribute("data-alive-url");
  var text = document.body.getAttribute("data-signed-out-text");
  if (!url) { return; }

  function warn() {
    if (warned) { return; }
    warned = true;
    var box = document.createElement("div");
    box.className = "notice notice-error";
    box.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = text;
    box.appendChild(p);
    var main = document.getElementById("main");
    main.insertBefore(box, main.firstChild);
  }

  function ping() {
    last = Date.now();
    fetch(url, { credentials: "same-origin", cache: "no-store", redirect: "manual" })
      .then(function (response) { if (response.status === 401) { warn(); } })
      .catch(function () { /* offline for a moment: the next keystroke tries again */ });
  }

  document.addEventListener("input", function (event) {
    if (event.target.closest && event.target.closest("form") && Date.now() - last >= EVERY_MS) { ping(); }
  });
}());
