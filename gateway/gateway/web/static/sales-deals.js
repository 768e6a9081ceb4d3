// Contract page: add and remove instalment rows of the place-order form, and show their total
// against the order amount (the service checks it again; this only spares a round trip).
(function () {
  "use strict";
  var form = document.querySelector('[data-testid="order-form"]');
  if (!form) { return; }
  var body = form.querySelector("[data-instalment-rows]");
  var template = document.getElementById("instalment-row-template");
  var total = form.querySelector("[data-instalment-total]");
  var expected = total ? parseInt(total.getAttribute("data-expected") || "0", 10) : 0;

  function toMinor(text) {
    var cleaned = (text || "").replace(/[,，\s]/g, "");
    if (!/^\d{1,13}(\.\d{1,2})?$/.test(cleaned)) { return null; }
    var parts = cleaned.split(".");
    var cents = parts[1] ? (parts[1] + "0").slice(0, 2) : "00";
    return parseInt(parts[0], 10) * 100 + parseInt(cents, 10);
  }

  function yuan(minor) {
    var sign = minor < 0 ? "-" : "";
    var abs = Math.abs(minor);
    var cents = String(abs % 100);
    return sign + "¥" + Math.floor(abs / 100).toLocaleString("en-US") + "." + (cents.length < 2 ? "0" + cents : cents);
  }

  // Rows are named instalments.<n>.due_date / .amount; renumber after every change.
  function renumber() {
    var rows = body.querySelectorAll("[data-instalment-row]");
    Array.prototype.forEach.call(rows, function (row, index) {
      var seq = row.querySelector("[data-instalment-seq]");
      if (seq) { seq.textContent = String(index + 1); }
      Array.prototype.forEach.call(row.querySelectorAll("input"), function (input) {
        input.name = input.name.replace(/^instalments\.[^.]+\./, "instalments." + index + ".");
      });
      var remove = row.querySelector("[data-remove-instalment]");
      if (remove) { remove.disabled = rows.length <= 1; }
    });
    refreshTotal();
  }

  function refreshTotal() {
    if (!total) { return; }
    var sum = 0;
    var valid = true;
    Array.prototype.forEach.call(body.querySelectorAll("[data-instalment-amount]"), function (input) {
      var minor = toMinor(input.value);
      if (minor === null) { valid = false; } else { sum += minor; }
    });
    var difference = expected - sum;
    total.textContent = yuan(sum) + (valid && difference === 0 ? " ✓" : "（差额 difference " + yuan(difference) + "）");
    total.setAttribute("data-difference", String(difference));
  }

  form.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    if (target.closest("[data-add-instalment]") && template) {
      var fragment = template.content.cloneNode(true);
      body.appendChild(fragment);
      renumber();
      var inputs = body.querySelectorAll("[data-instalment-row]:last-child input");
      if (inputs.length) { inputs[0].focus(); }
    } else if (target.closest("[data-remove-instalment]")) {
      var row = target.closest("[data-instalment-row]");
      if (row && body.querySelectorAll("[data-instalment-row]").length > 1) {
        row.remove();
        renumber();
      }
    }
  });
  form.addEventListener("input", function (event) {
    if (event.target instanceof Element && event.target.hasAttribute("data-instalment-amount")) { refreshTotal(); }
  });
  renumber();
}());
