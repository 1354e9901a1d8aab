/* Progressive enhancement only; every page works without it.
   1. <time data-local> shows the time in the reader's zone (the site's zone stays in the title).
   2. Uptime bars get one tab stop each: arrow keys, Home and End move between days. */
(function () {
  var style = { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
                timeZoneName: "short" };
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  document.querySelectorAll("time[data-local]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when)) return;
    el.title = el.textContent;
    el.textContent = when.toLocaleString(undefined, style).replace(/ at /, ", ");
  });
  var note = document.querySelector("[data-zone-note]");
  if (note && zone) note.textContent = "Times are shown in your time zone (" + zone + ").";

  document.querySelectorAll(".bar").forEach(function (bar) {
    var days = Array.prototype.slice.call(bar.children);
    days.forEach(function (d, i) { d.tabIndex = i === days.length - 1 ? 0 : -1; });
    bar.addEventListener("keydown", function (e) {
      var shown = days.filter(function (d) { return d.offsetWidth > 0; });
      var at = shown.indexOf(document.activeElement);
      if (at < 0) return;
      var next = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: shown.length - 1 }[e.key];
      if (next === undefined || !shown[next]) return;
      e.preventDefault();
      shown[at].tabIndex = -1;
      shown[next].tabIndex = 0;
      shown[next].focus();
    });
  });
})();
