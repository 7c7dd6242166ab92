// The customer menu's shared behaviour. No inline script anywhere: pages pass data with data-*.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Ask before a form marked with data-confirm is sent (revoking a licence, marking a caller's
  // objection, which deletes the call's audio for good, ...).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form && form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  // Copy buttons: data-copy names the input whose value goes to the clipboard.
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("[data-copy]");
    if (!button) { return; }
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) { return; }
    field.select();
    var done = function () {
      var label = button.getAttribute("data-copied-label");
      if (label) { button.textContent = label; }
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        document.execCommand("copy"); done();
      });
    } else {
      document.execCommand("copy"); done();
    }
  });
  // The tenant switcher: choosing a tenant opens its menu (no inline handlers: CSP).
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select && select.hasAttribute && select.hasAttribute("data-navigate")) {
      window.location = select.value;
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var select = form && form.querySelector && form.querySelector("select[data-navigate]");
    if (select) {
      event.preventDefault();
      window.location = select.value;
    }
  });

  // On narrow screens the main navigation sits behind a menu button. Without script it shows
  // as a compact list instead (see portal.css).
  var toggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("sidenav");
  if (toggle && nav) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // Header drop-downs (<details>): one open at a time, closed by a click elsewhere or Escape.
  var dropdowns = Array.prototype.slice.call(document.querySelectorAll("details.dropdown"));
  document.addEventListener("click", function (event) {
    dropdowns.forEach(function (d) {
      if (d.open && !d.contains(event.target)) d.open = false;
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") dropdowns.forEach(function (d) { d.open = false; });
  });

  // Keyboard users can scroll a wide table's box.
  Array.prototype.forEach.call(document.querySelectorAll(".table-scroll"), function (box) {
    if (box.scrollWidth > box.clientWidth && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
    }
  });
})();
