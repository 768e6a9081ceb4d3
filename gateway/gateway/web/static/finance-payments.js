// Payment entry and a payment's credit: "oldest first" fills the allocation inputs in due order
// from the amount (or the credit), and the remaining credit is shown as you type. Amounts are
// parsed as text into integer 分, never through floating point; the service checks everything again.
(function () {
  "use strict";

  function toMinor(text) {
    var cleaned = (text || "").replace(/[,，\s¥￥]/g, "");
    if (cleaned === "") { return 0; }
    if (!/^\d{1,13}(\.\d{1,2})?$/.test(cleaned)) { return null; }
    var parts = cleaned.split(".");
    var cents = parts[1] ? (parts[1] + "0").slice(0, 2) : "00";
    return parseInt(parts[0], 10) * 100 + parseInt(cents, 10);
  }

  function yuan(minor) {
    var sign = minor < 0 ? "-" : "";
    var abs = Math.abs(minor);
    var cents = String(abs % 100);
    return sign + Math.floor(abs / 100).toLocaleString("en-US") + "." + (cents.length < 2 ? "0" + cents : cents);
  }

  function plain(minor) {
    var cents = String(minor % 100);
    return Math.floor(minor / 100) + "." + (cents.length < 2 ? "0" + cents : cents);
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-payment-form]"), function (form) {
    var amountInput = form.querySelector("[data-payment-amount]");
    var remaining = form.querySelector("[data-remaining]");
    var inputs = form.querySelectorAll("[data-allocation-input]");

    function available() {
      if (amountInput) { return toMinor(amountInput.value); }
      return parseInt(form.getAttribute("data-credit") || "0", 10);
    }

    function refresh() {
      if (!remaining) { return; }
      var total = available();
      var valid = total !== null;
      Array.prototype.forEach.call(inputs, function (input) {
        var minor = toMinor(input.value);
        var row = input.closest("tr");
        var outstanding = row ? parseInt(row.querySelector("[data-outstanding]").getAttribute("data-outstanding"), 10) : 0;
        var bad = minor === null || minor > outstanding;
        input.classList.toggle("invalid", bad);
        if (minor === null) { valid = false; } else { total -= minor; }
      });
      remaining.textContent = valid ? yuan(total) : "—";
      remaining.classList.toggle("negative", valid && total < 0);
      remaining.setAttribute("data-remaining-minor", valid ? String(total) : "");
    }

    form.addEventListener("input", refresh);
    form.addEventListener("click", function (event) {
      var target = event.target;
      if (!(target instanceof Element)) { return; }
      if (target.closest("[data-oldest-first]")) {
        var left = available() || 0;
        Array.prototype.forEach.call(inputs, function (input) {  // rows come oldest due first
          var outstanding = parseInt(input.closest("tr").querySelector("[data-outstanding]").getAttribute("data-outstanding"), 10);
          var take = Math.max(0, Math.min(left, outstanding));
          input.value = take > 0 ? plain(take) : "";
          left -= take;
        });
        refresh();
      } else if (target.closest("[data-clear-allocations]")) {
        Array.prototype.forEach.call(inputs, function (input) { input.value = ""; });
        refresh();
      }
    });
    refresh();
  });
})();
