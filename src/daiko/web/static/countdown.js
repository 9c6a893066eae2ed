// Live countdown badges: every [data-due] badge shows the time left (or overdue) and
// turns to warning / breached as the due time nears and passes. The texts come
// translated from the page (#countdown-texts), so this script holds no words.
(function () {
  "use strict";
  function texts() {
    var el = document.getElementById("countdown-texts");
    return el ? el.dataset : null;
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; });
  }
  function duration(t, seconds) {
    var minutes = Math.floor(seconds / 60);
    var d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    if (d) return fill(t.dh, { d: d, h: h });
    if (h) return fill(t.hm, { h: h, m: m });
    return fill(t.m, { m: m });
  }
  function tick() {
    var t = texts();
    if (!t) return;
    var warn = parseInt(t.warningSeconds || "86400", 10);
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (badge) {
      var due = Date.parse(badge.dataset.due);
      if (isNaN(due)) return;
      var left = Math.round((due - now) / 1000);
      var level = left <= 0 ? "breached" : left <= warn ? "warning" : "ok";
      var text = left <= 0 ? fill(t.overdue, { time: duration(t, -left) })
                           : fill(t.left, { time: duration(t, left) });
      if (badge.textContent !== text) badge.textContent = text;
      badge.classList.remove("badge-ok", "badge-warning", "badge-breached");
      badge.classList.add("badge-" + level);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 30000);
  });
  document.addEventListener("htmx:afterSwap", tick);
})();
