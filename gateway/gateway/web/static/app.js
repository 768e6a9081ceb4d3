// Panorama UI behaviour: global search keyboard navigation, CSRF header for htmx, error toasts.
(function () {
  "use strict";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  document.body.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrf;
  });

  var toast = document.getElementById("toast");
  var toastTimer = null;
  function showToast(message) {
    if (!toast) { return; }
    toast.textContent = message;
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toast.hidden = true; }, 6000);
  }
  document.body.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status === 401) { window.location.href = "/login?next=" + encodeURIComponent(location.pathname); return; }
    showToast("操作失败（" + (xhr ? xhr.status : "?") + "），请稍后重试。Something went wrong, please retry.");
  });
  document.body.addEventListener("htmx:sendError", function () {
    showToast("网络连接失败。Network error, please retry.");
  });

  var input = document.getElementById("global-search-input");
  var box = document.getElementById("search-results");
  if (!input || !box) { return; }

  function items() { return Array.prototype.slice.call(box.querySelectorAll("[data-search-item]")); }
  function activeIndex(list) {
    for (var i = 0; i < list.length; i++) { if (list[i].classList.contains("active")) { return i; } }
    return -1;
  }
  function open(show) {
    box.hidden = !show;
    input.setAttribute("aria-expanded", show ? "true" : "false");
  }
  function setActive(list, index) {
    list.forEach(function (el) { el.classList.remove("active"); el.setAttribute("aria-selected", "false"); });
    if (index < 0 || index >= list.length) { input.removeAttribute("aria-activedescendant"); return; }
    var el = list[index];
    el.classList.add("active");
    el.setAttribute("aria-selected", "true");
    if (el.id) { input.setAttribute("aria-activedescendant", el.id); }
    el.scrollIntoView({ block: "nearest" });
  }

  input.addEventListener("keydown", function (event) {
    var list = items();
    var index = activeIndex(list);
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (!list.length) { return; }
      open(true);
      setActive(list, Math.min(index + 1, list.length - 1));
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (!list.length) { return; }
      setActive(list, Math.max(index - 1, 0));
    } else if (event.key === "Enter") {
      if (index >= 0 && !box.hidden) {
        event.preventDefault();
        window.location.href = list[index].getAttribute("href");
      }
    } else if (event.key === "Escape") {
      open(false);
    }
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target === box) {
      open(box.innerHTML.trim() !== "" && input.value.trim() !== "");
    }
  });
  input.addEventListener("input", function () { if (!input.value.trim()) { box.innerHTML = ""; open(false); } });
  input.addEventListener("focus", function () { if (box.innerHTML.trim() && input.value.trim()) { open(true); } });
  document.addEventListener("click", function (event) {
    if (!event.target.closest("#global-search")) { open(false); }
  });
  document.addEventListener("keydown", function (event) {
    var tag = document.activeElement ? document.activeElement.tagName : "";
    if (event.key === "/" && tag !== "INPUT" && tag !== "TEXTAREA" && tag !== "SELECT") {
      event.preventDefault();
      input.focus();
      input.select();
    }
  });
})();
