// Licensing pages: ask before a form marked with data-confirm is sent (revoking Monitor ends
// automatic recording and running listen-ins; assigning a licence that will not fully work).
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
