/* Uptime bars. Progressive enhancement only: without it each slice is a day in the site's zone, as the page says.
   1. When the reader's zone is not the site's, every bar is computed again by the reader's days from what the
      server computed it from (data-source: the component's beginning, its non-operational spans and incidents;
      data-bar-rules: weights, status words, incident path), with the rules of statuspage/domain/uptime.py.
   2. One tab stop per bar: arrow keys, Home and End move between days.
   statusPage.bars(root) runs it again on new content (refresh.js). */
(function () {
  var RANK = { operational: 0, under_maintenance: 1, degraded_performance: 2, partial_outage: 3, major_outage: 4 };
  var SHORT = { operational: "o", minor: "d", major: "p", critical: "x", maintenance: "m", nodata: "n" };

  function percent(value) {  // as the uptime_percent filter: rounded down, never "100%" after any down time
    if (value === null) return "No data";
    if (value >= 100) return "100%";
    return (Math.floor(value * 100) / 100).toFixed(2).replace(/0+$/, "").replace(/\.$/, "") + "%";
  }

  function level(day) {
    if (day.uptime === null) return "nodata";
    if (day.worst === "major_outage") return "critical";
    if (day.worst === "partial_outage") return "major";
    if (day.worst === "degraded_performance" || day.incidents.length) return "minor";
    if (day.worst === "under_maintenance") return "maintenance";
    return "operational";
  }

  function computeDay(src, rules, start, end, now) {
    var s = Math.max(start, src.b === null ? -Infinity : src.b * 1000), e = Math.min(end, now);
    var incidents = src.i.filter(function (i) { return i[3] * 1000 < end && (i[4] === null || i[4] * 1000 >= start); });
    if (e <= s) return { uptime: null, worst: "operational", incidents: incidents, down: 0, observed: 0 };
    var down = 0, worst = "operational";
    src.s.forEach(function (span) {
      var lo = Math.max(span[0] === null ? -Infinity : span[0] * 1000, s);
      var hi = Math.min(span[1] === null ? now : span[1] * 1000, e);
      if (hi <= lo) return;
      down += (hi - lo) * (rules.weights[span[2]] || 0);
      if ((RANK[span[2]] || 0) > RANK[worst]) worst = span[2];
    });
    return { uptime: 1 - down / (e - s), worst: worst, incidents: incidents, down: down, observed: e - s };
  }

  function slice(date, day, rules, thisYear) {
    var li = document.createElement("li");
    li.tabIndex = 0;
    li.className = "u-" + SHORT[level(day)];
    var label = date.toLocaleDateString(undefined, date.getFullYear() === thisYear
      ? { day: "numeric", month: "short" } : { day: "numeric", month: "short", year: "numeric" });
    var words = label + "\n" + percent(day.uptime === null ? null : day.uptime * 100) +
      (day.uptime !== null && day.worst !== "operational" ? " · " + rules.words[day.worst] : "");
    if (!day.incidents.length) {
      li.setAttribute("aria-label", words);
      return li;
    }
    var tip = document.createElement("span");
    tip.className = "tip";
    tip.textContent = words;
    day.incidents.forEach(function (i) {
      var a = document.createElement("a");
      a.href = rules.path + i[0];
      a.textContent = i[1];
      tip.appendChild(a);
    });
    li.appendChild(tip);
    return li;
  }

  function total(days) {
    var observed = 0, down = 0;
    days.forEach(function (d) { observed += d.observed; down += d.down; });
    return observed > 0 ? 100 * (1 - down / observed) : null;
  }

  function inReadersDays(bar, rules) {
    var src = JSON.parse(bar.getAttribute("data-source"));
    var count = bar.children.length, now = Date.now(), today = new Date();
    var days = [], items = [];
    for (var k = count - 1; k >= 0; k--) {
      var date = new Date(today.getFullYear(), today.getMonth(), today.getDate() - k);
      var next = new Date(today.getFullYear(), today.getMonth(), today.getDate() - k + 1);
      var day = computeDay(src, rules, date.getTime(), next.getTime(), now);
      days.push(day);
      items.push(slice(date, day, rules, today.getFullYear()));
    }
    bar.replaceChildren.apply(bar, items);
    var shown = bar.parentNode.querySelectorAll(".bar-percent");
    var values = [total(days), total(days.slice(-rules.phone))];
    shown.forEach(function (el, n) {
      if (values[n] !== null && el.textContent !== "No data") el.textContent = percent(values[n]);
    });
  }

  function keyboard(bar) {
    var days = Array.prototype.slice.call(bar.children);
    days.forEach(function (d, i) { d.tabIndex = i === days.length - 1 ? 0 : -1; });
    bar.addEventListener("keydown", function (e) {
      var shown = Array.prototype.filter.call(bar.children, function (d) { return d.offsetWidth > 0; });
      var at = shown.indexOf(document.activeElement);
      if (at < 0) return;
      var next = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: shown.length - 1 }[e.key];
      if (next === undefined || !shown[next]) return;
      e.preventDefault();
      shown[at].tabIndex = -1;
      shown[next].tabIndex = 0;
      shown[next].focus();
    });
  }

  function bars(root) {
    var holder = root.querySelector("[data-bar-rules]");
    var rules = holder ? JSON.parse(holder.getAttribute("data-bar-rules")) : null;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    root.querySelectorAll(".bar").forEach(function (bar) {
      if (rules && zone && zone !== rules.zone && bar.hasAttribute("data-source")) {
        try { inReadersDays(bar, rules); } catch (err) { /* keep the server's days */ }
      }
      keyboard(bar);
    });
  }

  window.statusPage = window.statusPage || {};
  window.statusPage.bars = bars;
  bars(document);
})();
