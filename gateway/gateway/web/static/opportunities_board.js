// The opportunities board: drag a card to another column to move its stage. The move is the
// card's own (hidden) form posted with the target stage, so the server decides and answers as
// for the buttons; dropping on 输单 opens the card's lost form (a reason is required).
(function () {
  "use strict";
  var board = document.querySelector("[data-testid='opportunity-board']");
  if (!board) { return; }
  var dragged = null;

  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest(".opp-card") : null;
    if (!card) { return; }
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-id"));
  });
  board.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
    clearTargets();
  });

  function column(target) { return target.closest ? target.closest(".board-col") : null; }
  function clearTargets() {
    Array.prototype.forEach.call(board.querySelectorAll(".drop-target"), function (el) {
      el.classList.remove("drop-target");
    });
  }

  board.addEventListener("dragover", function (event) {
    var col = column(event.target);
    if (!col || !dragged) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!col.classList.contains("drop-target")) { clearTargets(); col.classList.add("drop-target"); }
  });

  board.addEventListener("drop", function (event) {
    var col = column(event.target);
    if (!col || !dragged) { return; }
    event.preventDefault();
    clearTargets();
    var card = dragged;
    var stage = col.getAttribute("data-stage");
    if (!stage || stage === card.getAttribute("data-stage")) { return; }
    if (stage === "lost") {
      var box = card.querySelector(".lost-box");
      if (box) {
        box.open = true;
        var select = box.querySelector("select");
        if (select) { select.focus(); }
      }
      return;
    }
    var form = card.querySelector("form.move-form");
    if (!form) { return; }
    form.querySelector("input[name='stage']").value = stage;
    form.submit();
  });
})();
