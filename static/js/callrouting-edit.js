// The routing editor: redraw the flow picture while the draft is edited (the server draws the
// SVG from the form's values: GET data-preview-url?...), play announcements, and fill in the
// default texts of the chosen mode. No inline script: data comes from data-* and json_script.
(function () {
  "use strict";
  var form = document.getElementById("routing-form");
  var picture = document.getElementById("flow-picture");
  var timer = null;
  var sequence = 0;

  function refresh() {
    if (!form || !picture) { return; }
    var params = new URLSearchParams(new FormData(form));
    params.delete("csrfmiddlewaretoken");
    var mine = ++sequence;
    fetch(form.getAttribute("data-preview-url") + "?" + params.toString(), {
      credentials: "same-origin", headers: { "Accept": "image/svg+xml" }
    }).then(function (response) {
      return response.text().then(function (text) { return { ok: response.ok, text: text }; });
    }).then(function (result) {
      if (mine !== sequence) { return; }  // a newer request is on its way
      var doc = new DOMParser().parseFromString(result.text, "image/svg+xml");
      var svg = doc.documentElement;
      if (!svg || svg.nodeName.toLowerCase() !== "svg") { return; }
      picture.replaceChildren(document.importNode(svg, true));
      picture.setAttribute("data-valid", result.ok ? "true" : "false");
      picture.setAttribute("data-version", String(mine));
    }).catch(function () { /* keep the last picture */ });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 300);
  }

  if (form) {
    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-play]");
    if (!button) { return; }
    var player = document.getElementById(button.getAttribute("data-play"));
    if (!player) { return; }
    if (player.paused) {
      player.currentTime = 0;
      player.play();
    } else {
      player.pause();
    }
  });

  var defaults = document.getElementById("routing-default-texts");
  var fill = document.getElementById("default-texts");
  if (defaults && fill && form) {
    var texts = JSON.parse(defaults.textContent);
    fill.addEventListener("click", function () {
      var mode = form.elements.mode.value;
      ["de", "en"].forEach(function (code) {
        var area = form.elements["text_" + code];
        if (area && texts[mode]) { area.value = texts[mode][code]; }
      });
      schedule();
    });
  }
})();
