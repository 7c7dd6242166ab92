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
