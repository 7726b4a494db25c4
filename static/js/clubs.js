// Clubs: the ballot's live "points left" counter. The ballot form arrives in an htmx fragment
// (and again after each refused submission), so the counter listens on the document.
// No inline script: the CSP is strict. Without JS the form still works; the server checks the budget.
(function () {
  "use strict";

  function update(form) {
    var budget = parseInt(form.dataset.budget, 10) || 0;
    var spent = 0;
    form.querySelectorAll("input[data-points]").forEach(function (input) {
      var value = parseInt(input.value, 10);
      if (!isNaN(value) && value > 0) spent += value;
    });
    var left = budget - spent;
    var counter = form.querySelector("[data-points-left]");
    if (!counter) return;
    var template = left >= 0 ? counter.dataset.template : counter.dataset.over;
    counter.textContent = (template || "%(n)s").replace("%(n)s", String(Math.abs(left)));
    counter.classList.toggle("club-over", left < 0);
    var submit = form.querySelector("button[type=submit]");
    if (submit) submit.disabled = left < 0 || spent === 0;
  }

  function refreshAll(root) {
    (root || document).querySelectorAll("form[data-ballot]").forEach(update);
  }

  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form[data-ballot]");
    if (form) update(form);
  });
  document.addEventListener("htmx:afterSwap", function () { refreshAll(document); });
  document.addEventListener("DOMContentLoaded", function () { refreshAll(document); });
})();
