// Live monitoring page: fetch the live sessions every few seconds and redraw the table, so
// the page follows joins, mode changes and ends without a reload. Text goes in through
// textContent (never HTML).
(function () {
  "use strict";
  var table = document.getElementById("live-table");
  if (!table || !window.fetch) { return; }
  var url = table.getAttribute("data-url");
  var pollMs = (parseInt(table.getAttribute("data-poll"), 10) || 3) * 1000;
  var sessionUrl = table.getAttribute("data-session-url");
  var detailsLabel = table.getAttribute("data-details-label");
  var updatedLabel = table.getAttribute("data-updated-label");
  var updated = document.getElementById("live-updated");
  var modes = {};
  var modesNode = document.getElementById("sv-modes");
  if (modesNode) {
    JSON.parse(modesNode.textContent).forEach(function (m) { modes[m.value] = m.label; });
  }
  var lang = document.documentElement.lang || undefined;
  var timeFormat = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  var emptyText = (table.querySelector("tr.empty td") || {}).textContent || "";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function cell(row, content, className) {
    var td = el("td", className);
    if (content instanceof Node) { td.appendChild(content); } else { td.textContent = content || ""; }
    row.appendChild(td);
  }

  function since(iso, now) {
    var seconds = Math.max(0, Math.round((now - new Date(iso)) / 1000));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return timeFormat.format(new Date(iso)) + " (" + m + ":" + (s < 10 ? "0" : "") + s + ")";
  }

  function render(data) {
    var now = new Date(data.now);
    var body = el("tbody");
    if (!data.sessions.length) {
      var empty = el("tr", "empty");
      var td = el("td", "muted", emptyText);
      td.colSpan = 7;
      empty.appendChild(td);
      body.appendChild(empty);
    }
    data.sessions.forEach(function (s) {
      var tr = el("tr");
      tr.setAttribute("data-session", s.id);
      tr.setAttribute("data-mode", s.mode);
      cell(tr, s.agent);
      cell(tr, s.supervisors.join(", "), "supervisors");
      var mode = el("span", "sv-mode mode-" + s.mode, s.mode + " · " + (modes[s.mode] || ""));
      cell(tr, mode, "mode");
      cell(tr, since(s.mode_since, now));
      cell(tr, timeFormat.format(new Date(s.started_at)));
      cell(tr, s.call_id, "mono");
      var link = el("a", "", detailsLabel);
      link.href = sessionUrl.replace(/\/0\/$/, "/" + s.id + "/");
      cell(tr, link);
      body.appendChild(tr);
    });
    table.replaceChild(body, table.tBodies[0]);
    table.setAttribute("data-loaded", "1");
    if (updated) { updated.textContent = updatedLabel + " " + timeFormat.format(new Date()); }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { render(data); } })
      .catch(function () { /* keep the last table; try again */ })
      .then(function () { window.setTimeout(poll, pollMs); });
  }
  poll();
})();
