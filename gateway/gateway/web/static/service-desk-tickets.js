// SLA countdown clocks of the ticket queue and page. Each [data-sla-due] element counts down to
// its due time every second: red once breached, amber from data-sla-warn (80% of its business
// time, computed by the service), grey while paused (waiting on the customer). The service's
// business-hours arithmetic stays on the server; this only ticks the wall clock between loads.
(function () {
  "use strict";
  var clocks = document.querySelectorAll("[data-sla-due]");
  if (!clocks.length) { return; }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400);
    var text = pad(Math.floor((s % 86400) / 3600)) + ":" + pad(Math.floor((s % 3600) / 60)) + ":" + pad(s % 60);
    return d ? d + "d " + text : text;
  }

  function show(el, state, text) {
    el.classList.remove("sla-ok", "sla-near_breach", "sla-breached", "sla-paused", "sla-met");
    el.classList.add("sla-" + state);
    el.setAttribute("data-sla-state", state);
    el.textContent = text;
  }

  function tick() {
    var now = Date.now();
    Array.prototype.forEach.call(clocks, function (el) {
      var due = Date.parse(el.getAttribute("data-sla-due"));
      var warn = Date.parse(el.getAttribute("data-sla-warn") || "");
      if (isNaN(due)) { return; }
      if (el.hasAttribute("data-sla-paused")) {
        show(el, "paused", "⏸ 暂停 Paused");
      } else if (now >= due) {
        show(el, "breached", "超时 Breached +" + span(now - due));
      } else if (!isNaN(warn) && now >= warn) {
        show(el, "near_breach", "⚠ " + span(due - now));
      } else {
        show(el, "ok", span(due - now));
      }
    });
  }

  tick();
  window.setInterval(tick, 1000);
})();
