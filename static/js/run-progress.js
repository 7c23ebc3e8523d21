// Updates a planning run's progress without reloading; loads the page again once the run has ended
// so the results appear, with focus on the progress heading. Without JavaScript the page refreshes itself (<noscript> meta).
(function () {
  "use strict";
  var section = document.getElementById("run-progress");
  if (!section || section.getAttribute("data-active") !== "true") { return; }
  var url = section.getAttribute("data-progress-url");
  var fields = ["status_label", "sessions_placed", "objective", "best_bound", "elapsed_seconds"];

  function show(data) {
    fields.forEach(function (name) {
      var node = section.querySelector('[data-field="' + name + '"]');
      if (node) {
        var value = data[name];
        node.textContent = value === null || value === undefined ? "\u2013" : String(value);
      }
    });
  }

  // The results come with a new page; the reader and the keyboard's place go to its progress heading (a plain
  // reload put focus back at the top, before "Skip to main content").
  function showResults() {
    window.location.replace(window.location.pathname + "?ended=1#progress-heading");
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(poll, 5000); return; }
        show(data);
        if (data.active) { window.setTimeout(poll, 2000); } else { showResults(); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 1000);
})();
