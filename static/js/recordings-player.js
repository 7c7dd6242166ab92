/* The recording player on the detail page: waveform from the stored peaks (canvas), seeking by
   click and keyboard, speed 0.75–2×, ±10 s jumps. No inline script: data comes from
   data-* attributes and the #player-config JSON. */
(function () {
  "use strict";
  var root = document.getElementById("player");
  if (!root) { return; }
  var audio = document.getElementById("audio");
  var canvas = document.getElementById("waveform");
  var toggle = document.getElementById("play-toggle");
  var timeLabel = document.getElementById("player-time");
  var speed = document.getElementById("speed");
  var download = document.getElementById("download");
  var reasonForm = document.getElementById("reason-form");
  var config = JSON.parse(document.getElementById("player-config").textContent || "{}");
  var peaks = config.peaks || [];
  var baseUrl = root.dataset.audioUrl;
  var ready = root.dataset.reasonRequired !== "1";

  function total() {
    return isFinite(audio.duration) && audio.duration > 0 ? audio.duration : (config.duration || 0);
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds || 0));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  function draw() {
    var ctx = canvas.getContext("2d");
    var width = canvas.clientWidth || canvas.width;
    var height = canvas.height;
    if (canvas.width !== width) { canvas.width = width; }
    ctx.clearRect(0, 0, width, height);
    var played = total() ? audio.currentTime / total() : 0;
    var styles = getComputedStyle(canvas);
    var done = styles.getPropertyValue("--wave-played").trim() || "#1f6feb";
    var rest = styles.getPropertyValue("--wave-rest").trim() || "#9aa7b8";
    var n = peaks.length || 1;
    var bar = width / n;
    for (var i = 0; i < n; i++) {
      var value = peaks.length ? Math.max(0.02, Math.min(1, peaks[i])) : 0.02;
      var h = value * (height - 4);
      ctx.fillStyle = (i + 0.5) / n <= played ? done : rest;
      ctx.fillRect(i * bar, (height - h) / 2, Math.max(1, bar - (bar > 3 ? 1 : 0)), h);
    }
    ctx.fillStyle = done;
    ctx.fillRect(Math.round(played * width) - 1, 0, 2, height);
    canvas.setAttribute("aria-valuenow", String(Math.round(audio.currentTime || 0)));
    canvas.setAttribute("aria-valuetext", clock(audio.currentTime) + " / " + clock(total()));
    timeLabel.textContent = clock(audio.currentTime) + " / " + clock(total());
  }

  function seekTo(seconds) {
    if (!ready) { return; }
    audio.currentTime = Math.max(0, Math.min(total(), seconds));
    draw();
  }

  function setSource(reason) {
    var query = reason ? "reason=" + encodeURIComponent(reason) : "";
    audio.src = baseUrl + (query ? "?" + query : "");
    if (download) { download.href = baseUrl + "?download=1" + (query ? "&" + query : ""); }
    ready = true;
    root.classList.add("ready");
  }

  if (reasonForm) {
    root.classList.add("needs-reason");
    if (download) { download.setAttribute("aria-disabled", "true"); download.removeAttribute("href"); }
    reasonForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var reason = reasonForm.elements.reason.value.trim();
      if (!reason) { return; }
      setSource(reason);
      if (download) { download.removeAttribute("aria-disabled"); }
      root.classList.remove("needs-reason");
    });
  }

  toggle.addEventListener("click", function () {
    if (!ready) { return; }
    if (audio.paused) { audio.play(); } else { audio.pause(); }
  });
  audio.addEventListener("play", function () { toggle.textContent = root.dataset.labelPause; });
  audio.addEventListener("pause", function () { toggle.textContent = root.dataset.labelPlay; });
  audio.addEventListener("timeupdate", draw);
  audio.addEventListener("loadedmetadata", draw);
  audio.addEventListener("seeked", draw);
  document.getElementById("back-10").addEventListener("click", function () { seekTo(audio.currentTime - 10); });
  document.getElementById("forward-10").addEventListener("click", function () { seekTo(audio.currentTime + 10); });
  speed.addEventListener("change", function () { audio.playbackRate = parseFloat(speed.value) || 1; });
  audio.addEventListener("ratechange", function () {
    if (parseFloat(speed.value) !== audio.playbackRate) { speed.value = String(audio.playbackRate); }
  });
  canvas.addEventListener("click", function (event) {
    var rect = canvas.getBoundingClientRect();
    seekTo(((event.clientX - rect.left) / rect.width) * total());
  });
  canvas.addEventListener("keydown", function (event) {
    var step = { ArrowLeft: -5, ArrowRight: 5, PageDown: -10, PageUp: 10 }[event.key];
    if (step !== undefined) { seekTo(audio.currentTime + step); }
    else if (event.key === "Home") { seekTo(0); }
    else if (event.key === "End") { seekTo(total()); }
    else if (event.key === " " || event.key === "k") { toggle.click(); }
    else { return; }
    event.preventDefault();
  });
  window.addEventListener("resize", draw);
  draw();
}());
