// Quote editor: add and remove line-item rows (the server validates and names each bad row).
(function () {
  "use strict";
  var rows = document.getElementById("quote-line-rows");
  var template = document.getElementById("quote-line-template");
  var add = document.getElementById("quote-add-line");
  if (!rows || !template || !add) { return; }
  var max = parseInt(rows.getAttribute("data-max-lines") || "200", 10);

  function lineCount() { return rows.querySelectorAll("tr.quote-line").length; }

  add.addEventListener("click", function () {
    if (lineCount() >= max) { return; }
    var row = template.content.firstElementChild.cloneNode(true);
    rows.appendChild(row);
    var first = row.querySelector("input");
    if (first) { first.focus(); }
  });

  rows.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-line]");
    if (!button) { return; }
    var row = button.closest("tr.quote-line");
    if (!row) { return; }
    var next = row.nextElementSibling;
    if (next && next.classList.contains("quote-line-errors")) { next.remove(); }
    if (lineCount() > 1) {
      row.remove();
    } else {
      row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
    }
  });
})();
