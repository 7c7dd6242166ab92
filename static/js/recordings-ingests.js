// Ingest status page: fetch the counts and rows every few seconds and redraw them, so that
// the page follows the work while it runs. Text goes in through textContent (never HTML).
(function () {
  "use strict";
  var table = document.getElementById("ingest-table");
  if (!table || !window.fetch) { return; }
  var statusUrl = table.getAttribute("data-status-url");
  var retryUrl = table.getAttribute("data-retry-url");
  var pollMs = (parseInt(table.getAttribute("data-poll"), 10) || 4) * 1000;
  var retryLabel = table.getAttribute("data-retry-label");
  var updatedLabel = table.getAttribute("data-updated-label");
  var createUserLabel = table.getAttribute("data-create-user-label");
  var tokenInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  var placeholder = "00000000-0000-0000-0000-000000000000";
  var numberFormat = new Intl.NumberFormat(document.documentElement.lang || undefined);

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
    return td;
  }

  function renderCounts(counts) {
    counts.forEach(function (c) {
      var tile = document.querySelector('#ingest-counts [data-status="' + c.status + '"] .figure');
      if (tile) { tile.textContent = numberFormat.format(c.count); }
    });
  }

  function renderRows(rows) {
    var body = table.tBodies[0];
    var fresh = document.createElement("tbody");
    if (!rows.length) {
      var empty = el("tr", "empty");
      var td = cell(empty, body.querySelector("tr.empty td") ? body.querySelector("tr.empty td").textContent : "", "muted");
      td.colSpan = 9;
      fresh.appendChild(empty);
    }
    rows.forEach(function (r) {
      var tr = el("tr");
      tr.setAttribute("data-ingest", r.ingest_id);
      cell(tr, r.received);
      var source = cell(tr, r.source);
      if (r.by) { source.appendChild(el("br")); source.appendChild(el("span", "muted small", r.by)); }
      cell(tr, r.file, "mono small").title = r.file_full || "";
      cell(tr, r.call_id, "mono small");
      cell(tr, r.extension, "mono");
      cell(tr, el("span", "badge status-" + r.status, r.status_label));
      var reason = cell(tr, "");
      if (r.reason) { reason.appendChild(document.createTextNode(r.reason_label)); }
      if (r.detail) {
        if (r.reason) { reason.appendChild(el("br")); }
        reason.appendChild(el("span", "muted small", r.detail));
      }
      if (r.create_user_url) {
        var link = el("a", "small", createUserLabel);
        link.href = r.create_user_url;
        reason.appendChild(el("br"));
        reason.appendChild(link);
      }
      cell(tr, numberFormat.format(r.attempts), "num");
      var action = cell(tr, "");
      if (r.retryable && tokenInput) {
        var form = el("form", "inline");
        form.method = "post";
        form.action = retryUrl.replace(placeholder, r.ingest_id);
        var token = el("input");
        token.type = "hidden"; token.name = "csrfmiddlewaretoken"; token.value = tokenInput.value;
        form.appendChild(token);
        form.appendChild(el("button", "small", retryLabel));
        action.appendChild(form);
      }
      fresh.appendChild(tr);
    });
    table.replaceChild(fresh, body);
  }

  function poll() {
    fetch(statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data) {
          renderCounts(data.counts);
          renderRows(data.rows);
          var stamp = document.getElementById("ingest-updated");
          if (stamp) { stamp.textContent = updatedLabel + " " + new Date().toLocaleTimeString(document.documentElement.lang || undefined); }
        }
      })
      .catch(function () { /* keep the last state; the next poll tries again */ })
      .then(function () { window.setTimeout(poll, pollMs); });
  }

  window.setTimeout(poll, pollMs);
})();
