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
  var labelsNode = document.getElementById("ingest-labels");
  var labels = labelsNode ? JSON.parse(labelsNode.textContent) : { status: {}, reason: {} };
  var fileInput = form.querySelector("input[type=file]");
  var timesList = document.getElementById("upload-times");

  // "2026-11-25T10:03" in the browser's time zone, for <input type="datetime-local">.
  function localValue(date) {
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return date.getFullYear() + "-" + two(date.getMonth() + 1) + "-" + two(date.getDate()) +
      "T" + two(date.getHours()) + ":" + two(date.getMinutes());
  }

  // Long names keep their start and their end; the full name is on hover.
  function shortName(name) {
    if (name.length <= 40) { return name; }
    return name.slice(0, 26) + "\u2026" + name.slice(-13);
  }

  // One date-and-time field per chosen file, prefilled from the file's lastModified.
  function showTimes() {
    while (timesList.firstChild) { timesList.removeChild(timesList.firstChild); }
    Array.prototype.forEach.call(fileInput.files, function (file, index) {
      var li = document.createElement("li");
      var label = document.createElement("label");
      label.setAttribute("for", "up-time-" + index);
      label.textContent = msg("call-time") + ": " + shortName(file.name);
      label.title = file.name;
      var input = document.createElement("input");
      input.type = "datetime-local";
      input.id = "up-time-" + index;
      input.required = true;
      input.value = localValue(new Date(file.lastModified || Date.now()));
      li.appendChild(label);
      li.appendChild(input);
      timesList.appendChild(li);
    });
  }
  if (timesList) { fileInput.addEventListener("change", showTimes); }

  function callTime(index) {
    var input = document.getElementById("up-time-" + index);
    if (!input || !input.value) { return null; }
    var when = new Date(input.value);
    return isNaN(when.getTime()) ? null : when.toISOString();
  }

  function msg(name) { return form.getAttribute("data-msg-" + name); }

  function item(file) {
    var li = document.createElement("li");
    li.className = "upload-item";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = shortName(file.name);
    name.title = file.name;
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
          var text = (labels.status[data.status] || data.status) +
            (data.reason ? " (" + (labels.reason[data.reason] || data.reason) + ")" : "");
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

  function send(file, fields, startedAt) {
    var row = item(file);
    if (file.size > maxBytes) {
      row.state(msg("too-large"), "error");
      row.done(false);
      return Promise.resolve();
    }
    return new Promise(function (resolve) {
      var data = new FormData();
      Object.keys(fields).forEach(function (key) { if (fields[key]) { data.append(key, fields[key]); } });
      data.append("started_at", startedAt);
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
    var files = Array.prototype.slice.call(fileInput.files);
    var times = files.map(function (file, index) { return callTime(index); });
    if (times.indexOf(null) >= 0) {
      var first = timesList && timesList.querySelector("input");
      if (first) { first.setCustomValidity(msg("call-time-missing")); first.reportValidity(); }
      return;
    }
    var extension = form.querySelector("[name=extension]");
    var fields = {
      direction: form.querySelector("[name=direction]").value,
      remote_number: form.querySelector("[name=remote_number]").value.trim(),
      extension: extension ? extension.value : ""
    };
    // Two at a time: progress stays readable and the server is not flooded.
    var queue = files.map(function (file, index) { return [file, times[index]]; });
    function next() {
      var job = queue.shift();
      return job ? send(job[0], fields, job[1]).then(next) : Promise.resolve();
    }
    Promise.all([next(), next()]).then(function () {
      form.reset();
      if (timesList) { showTimes(); }
    });
  });
})();
