// A button that copies a read-only field (the calendar address, shown once): on a phone, selecting the text of a
// read-only field by hand was fiddly. Without this script the button stays hidden and the field is there to copy.
(function () {
  "use strict";
  var buttons = document.querySelectorAll("button[data-copy]");
  for (var i = 0; i < buttons.length; i++) {
    (function (button) {
      var field = document.getElementById(button.getAttribute("data-copy"));
      var status = document.getElementById(button.getAttribute("data-copy") + "-copied");
      if (!field || !navigator.clipboard) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(field.value).then(function () {
          if (status) { status.textContent = button.getAttribute("data-copied-text"); }
        }, function () {
          field.focus();
          field.select();
        });
      });
    })(buttons[i]);
  }
})();
