// Triage inbox: keyboard navigation (j/k/o/x/a/s/t/m, / and ?) and bulk selection.
(function () {
  "use strict";
  var rows = [];
  var current = -1;

  function focusRow(index) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("current", i === current); });
    rows[current].scrollIntoView({ block: "nearest" });
    rows[current].querySelector("a").focus({ preventScroll: true });
  }

  function selectedIds() {
    var ids = Array.prototype.map.call(document.querySelectorAll(".row-select:checked"), function (box) { return box.value; });
    if (!ids.length && current >= 0) ids = [rows[current].dataset.id];
    return ids;
  }

  function startBulk(action) {
    var select = document.getElementById("id_bulk-action");
    if (!select) return;
    select.value = action;
    document.getElementById("bulk-ids").value = selectedIds().join(",");
    var field = { status: "id_bulk-status", assign: "id_bulk-assignee", area: "id_bulk-product_area", tag: "id_bulk-tag", merge: "id_bulk-target" }[action];
    var target = document.getElementById(field) || select;
    target.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    rows = Array.prototype.slice.call(document.querySelectorAll("[data-inbox] [data-row]"));
    var help = document.getElementById("shortcuts");
    var toggle = document.querySelector("[data-shortcuts-toggle]");
    if (toggle && help) toggle.addEventListener("click", function () { help.hidden = !help.hidden; });
    var bulk = document.getElementById("bulk-form");
    if (bulk) bulk.addEventListener("submit", function () { document.getElementById("bulk-ids").value = selectedIds().join(","); });

    document.addEventListener("keydown", function (event) {
      var tag = (event.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) return;
      var key = event.key;
      if (key === "j") { focusRow(current + 1); }
      else if (key === "k") { focusRow(current - 1); }
      else if ((key === "o" || key === "Enter") && current >= 0) { window.location = rows[current].dataset.url; }
      else if (key === "x" && current >= 0) { var box = rows[current].querySelector(".row-select"); box.checked = !box.checked; }
      else if (key === "a") { startBulk("assign"); }
      else if (key === "s") { startBulk("status"); }
      else if (key === "t") { startBulk("tag"); }
      else if (key === "m") { startBulk("merge"); }
      else if (key === "/") { var search = document.getElementById("id_q"); if (search) { search.closest("details").open = true; search.focus(); } }
      else if (key === "?") { if (help) help.hidden = !help.hidden; }
      else { return; }
      event.preventDefault();
    });
  });
})();
