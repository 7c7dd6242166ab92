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
})();
