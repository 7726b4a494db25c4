// Roadmap: progressive enhancement over plain forms.
// - Board: move a card to another column by drag and drop, or by keyboard (focus the card, then
//   [ / ] or Alt+Left / Alt+Right). Both post the card's own Move form with fetch and move the
//   card in the page; the result is announced to screen readers. Without JS the form still works.
// - Triage detail: "r" focuses the roadmap picker (outside text fields).
(function () {
  "use strict";

  function typing(target) {
    var tag = (target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  // Board -----------------------------------------------------------------------------------
  var board = null;

  function columns() {
    return Array.prototype.slice.call(board.querySelectorAll("[data-column]"));
  }

  function announce(text) {
    var status = document.querySelector("[data-board-status]");
    if (!status) return;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 30);
  }

  function refreshColumn(column, delta) {
    var count = column.querySelector("[data-count]");
    if (count && delta) count.textContent = String(Math.max(0, parseInt(count.textContent, 10) + delta));
    var empty = column.querySelector("[data-empty]");
    if (empty) empty.hidden = column.querySelector("[data-cards]").children.length > 0;
  }

  function moveCard(card, status) {
    var form = card.querySelector("[data-move-form]");
    var from = card.closest("[data-column]");
    if (!form || !from || from.dataset.status === status || card.getAttribute("aria-busy") === "true") return;
    var data = new FormData(form);
    data.set("status", status);
    card.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: {
        "X-Requested-With": "fetch",
        "Accept": "application/json",
        "X-CSRFToken": String(data.get("csrfmiddlewaretoken") || "")
      }
    })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (result) {
        card.removeAttribute("aria-busy");
        if (!result.ok || !result.body.ok) {
          announce(result.body.error || board.dataset.errorText);
          return;
        }
        var to = board.querySelector('[data-column][data-status="' + result.body.status + '"]');
        if (to && to !== from) {
          to.querySelector("[data-cards]").prepend(card);
          refreshColumn(from, -1);
          refreshColumn(to, 1);
        }
        var select = form.querySelector("select[name=status]");
        if (select) select.value = result.body.status;
        card.focus();
        announce(result.body.message);
      })
      .catch(function () {
        card.removeAttribute("aria-busy");
        announce(board.dataset.errorText);
      });
  }

  function neighbourStatus(card, step) {
    var all = columns();
    var index = all.indexOf(card.closest("[data-column]")) + step;
    return index >= 0 && index < all.length ? all[index].dataset.status : null;
  }

  function setUpBoard() {
    board = document.querySelector("[data-board][data-can-move]");
    if (!board) return;

    board.addEventListener("keydown", function (event) {
      var card = event.target;
      if (!card.matches || !card.matches("[data-card]")) return; // not while in the card's own form
      var step = 0;
      if (event.key === "[" || (event.altKey && event.key === "ArrowLeft")) step = -1;
      else if (event.key === "]" || (event.altKey && event.key === "ArrowRight")) step = 1;
      if (!step) return;
      event.preventDefault();
      var status = neighbourStatus(card, step);
      if (status) moveCard(card, status);
      else announce(board.dataset.edgeText);
    });

    board.addEventListener("dragstart", function (event) {
      var card = event.target.closest && event.target.closest("[data-card]");
      if (!card) return;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.dataset.id);
      card.classList.add("rm-dragging");
    });
    board.addEventListener("dragend", function (event) {
      var card = event.target.closest && event.target.closest("[data-card]");
      if (card) card.classList.remove("rm-dragging");
      columns().forEach(function (column) { column.classList.remove("rm-drop"); });
    });
    columns().forEach(function (column) {
      column.addEventListener("dragover", function (event) {
        event.preventDefault();
        event.dataTransfer.dropEffect = "move";
        column.classList.add("rm-drop");
      });
      column.addEventListener("dragleave", function (event) {
        if (!column.contains(event.relatedTarget)) column.classList.remove("rm-drop");
      });
      column.addEventListener("drop", function (event) {
        event.preventDefault();
        column.classList.remove("rm-drop");
        var id = event.dataTransfer.getData("text/plain");
        var card = id && board.querySelector('[data-card][data-id="' + id.replace(/\D/g, "") + '"]');
        if (card) moveCard(card, column.dataset.status);
      });
    });
  }

  // Triage detail: "r" focuses the roadmap picker ------------------------------------------------
  function setUpPicker() {
    var picker = document.querySelector("[data-roadmap-picker]");
    if (!picker) return;
    document.addEventListener("keydown", function (event) {
      if (event.key !== "r" || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      event.preventDefault();
      picker.scrollIntoView({ block: "center" });
      picker.focus();
    });
  }

  function start() {
    setUpBoard();
    setUpPicker();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
