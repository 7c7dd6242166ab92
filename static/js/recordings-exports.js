// Export page: poll the export's status (JSON) until it is ready, failed or expired, and move
// the progress bar. Text goes in through textContent (never HTML).
(function () {
  "use strict";
  var box = document.getElementById("export-progress");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-status-url");
  var pollMs = (parseInt(box.getAttribute("data-poll"), 10) || 2) * 1000;
  var bar = document.getElementById("export-bar");
  var finished = { ready: true, failed: true, expired: true };

  function render(data) {
    box.querySelectorAll("[data-field]").forEach(function (node) {
      var name = node.getAttribute("data-field");
      if (data[name] !== undefined && data[name] !== null) { node.textContent = String(data[name]); }
    });
    if (bar) { bar.value = data.percent; bar.textContent = data.percent + " %"; }
    box.querySelectorAll("[data-show-when]").forEach(function (node) {
      node.hidden = node.getAttribute("data-show-when") !== data.status;
    });
    if (data.status === "failed" || data.status === "expired") { window.location.reload(); }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        render(data);
        if (!finished[data.status]) { window.setTimeout(poll, pollMs); }
      })
      .catch(function () { window.setTimeout(poll, pollMs * 2); });
  }

  if (!finished[box.getAttribute("data-status") || ""]) { window.setTimeout(poll, pollMs); }
})();
