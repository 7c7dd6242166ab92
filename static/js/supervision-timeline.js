// Mode timelines: size each segment by its share of the session (data-percent), through the
// CSSOM so that no inline style attribute is needed.
(function () {
  "use strict";
  var segments = document.querySelectorAll(".sv-timeline .sv-seg[data-percent]");
  Array.prototype.forEach.call(segments, function (seg) {
    var percent = parseFloat(seg.getAttribute("data-percent"));
    if (!isNaN(percent)) {
      seg.style.flex = "0 0 " + Math.max(percent, 0.5) + "%";
    }
  });
})();
