// Upload of softphone recordings: one request per file to the customer API, with a progress
// bar each (XMLHttpRequest upload progress), then the ingest's status until it is final.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var list = document.getElementById("upload-list");
  var uploadUrl = form.getAttribute("data-upload-url");
  var ingestUrl = form.getAttribute("data-ingest-url");
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
  var placeholder = "00000000-0000-0000-0000-000000000000";
  var finalStates = ["stored", "rejected", "quarantined"];
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function msg(name) { return form.getAttribute("data-msg-" + name); }

  function item(file) {
    var li = document.createElement("li");
    li.className = "upload-item";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var bar = document.createElement("div");
    bar.className = "bar";
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    var fill = document.createElement("span");
    fill.style.width = "0%";
    bar.appendChild(fill);
    var state = document.createElement("span");
    state.className = "upload-state muted";
    li.appendChild(name);
    li.appendChild(bar);
    li.appendChild(state);
    list.appendChild(li);
    return {
      progress: function (fraction) {
        var percent = Math.round(fraction * 100);
        fill.style.width = percent + "%";
        bar.setAttribute("aria-valuenow", String(percent));
        state.textContent = msg("uploading") + " " + percent + " %";
      },
      state: function (text, kind) {
        state.textContent = text;
        state.className = "upload-state " + (kind || "muted");
      },
      done: function (ok) { li.classList.add(ok ? "ok" : "failed"); }
    };
  }

  function follow(row, ingestId) {
    var url = ingestUrl.replace(placeholder, ingestId);
    var tries = 0;
    function check() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          var text = data.status + (data.reason ? " (" + data.reason + ")" : "");
          if (finalStates.indexOf(data.status) >= 0) {
            row.state(text, data.status === "stored" ? "ok-text" : "warn-text");
            row.done(data.status === "stored");
          } else if (tries++ < 60) {
            row.state(msg("received") + ": " + text);
            window.setTimeout(check, 2000);
          }
        })
        .catch(function () { if (tries++ < 60) { window.setTimeout(check, 4000); } });
    }
    check();
  }

  function send(file, fields) {
    var row = item(file);
    if (file.size > maxBytes) {
      row.state(msg("too-large"), "error");
      row.done(false);
      return Promise.resolve();
    }
    return new Promise(function (resolve) {
      var data = new FormData();
      Object.keys(fields).forEach(function (key) { if (fields[key]) { data.append(key, fields[key]); } });
      data.append("started_at", new Date(file.lastModified || Date.now()).toISOString());
      data.append("audio", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", uploadUrl);
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) { row.progress(event.loaded / event.total); }
      });
      xhr.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if (xhr.status === 202 && body) {
          row.progress(1);
          row.state(msg("received"));
          follow(row, body.ingest_id);
        } else {
          row.state(msg("failed") + ": " + (body && body.detail ? body.detail : xhr.status), "error");
          row.done(false);
        }
        resolve();
      });
      xhr.addEventListener("error", function () {
        row.state(msg("network"), "error");
        row.done(false);
        resolve();
      });
      xhr.send(data);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var files = Array.prototype.slice.call(form.querySelector("input[type=file]").files);
    var extension = form.querySelector("[name=extension]");
    var fields = {
      direction: form.querySelector("[name=direction]").value,
      remote_number: form.querySelector("[name=remote_number]").value.trim(),
      extension: extension ? extension.value : ""
    };
    // Two at a time: progress stays readable and the server is not flooded.
    var queue = files.slice();
    function next() {
      var file = queue.shift();
      return file ? send(file, fields).then(next) : Promise.resolve();
    }
    Promise.all([next(), next()]).then(function () { form.reset(); });
  });
})();
