// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Move focus to the error summary so screen readers announce it (GOV.UK pattern).
  var summary = document.querySelector("[data-module='error-summary']");
  if (summary) { summary.focus(); }
  // A second click on a submit button does not submit the form twice.
  document.addEventListener("submit", function (event) {
    var button = event.target.querySelector("[data-prevent-double-click]");
    if (!button) { return; }
    if (button.dataset.clicked) { event.preventDefault(); return; }
    button.dataset.clicked = "1";
    setTimeout(function () { delete button.dataset.clicked; }, 2000);
  });
  // Lists that filter themselves as one types (the server filters too, on submit).
  document.querySelectorAll("[data-filter-table]").forEach(function (input) {
    var table = document.getElementById(input.dataset.filterTable);
    if (!table) { return; }
    input.addEventListener("input", function () {
      var needle = input.value.trim();
      table.querySelectorAll("tbody tr").forEach(function (row) {
        row.hidden = needle !== "" && row.textContent.indexOf(needle) < 0;
      });
    });
  });
})();
