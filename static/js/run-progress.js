// Updates a planning run's progress without reloading; reloads once the run has ended
// so the results appear. Without JavaScript the page refreshes itself (<noscript> meta).
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

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(poll, 5000); return; }
        show(data);
        if (data.active) { window.setTimeout(poll, 2000); } else { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 1000);
})();
