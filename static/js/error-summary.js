// A form that comes back with problems opens on its error summary (the summary's `autofocus` does it without
// script). When the page's address ends in #main (the skip link was used before sending), the browser focuses
// <main> first and ignores `autofocus`, and a keyboard or screen-reader user was not told of the problems.
(function () {
  "use strict";
  function focusSummary() {
    var summary = document.querySelector(".error-summary");
    if (summary && document.activeElement !== summary) { summary.focus(); }
  }
  // The browser moves focus to the #main target once the page has loaded: take it to the summary after that.
  if (document.readyState === "complete") {
    focusSummary();
  } else {
    window.addEventListener("load", function () { window.setTimeout(focusSummary, 0); });
  }
}());
