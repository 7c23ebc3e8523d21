// The counsellor page: the days at a location are asked only for the locations ticked above. Without this
// script every location's days show (and days at an unticked location are ignored when saved).
(function () {
  "use strict";
  var group = document.getElementById("location_ids");
  if (!group) { return; }
  function sync() {
    var boxes = group.querySelectorAll("input[type=checkbox]");
    for (var i = 0; i < boxes.length; i++) {
      var row = document.getElementById("location-days-" + boxes[i].value);
      if (row) { row.hidden = !boxes[i].checked; }
    }
  }
  group.addEventListener("change", sync);
  sync();
})();
