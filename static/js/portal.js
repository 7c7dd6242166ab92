// The customer menu: ask before a form marked with data-confirm is sent (revoking a licence,
// marking a caller's objection, which deletes the call's audio for good, ...).
(function () {
  "use strict";
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
})();
