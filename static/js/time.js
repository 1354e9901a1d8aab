/* Times in the reader's zone. Progressive enhancement only: without it the server's times in the site's zone
   stay, and the page says which zone that is.
   1. <time data-local> shows the time in the reader's zone (the site's zone stays in the title);
      <time data-relative> also says how long ago ("12 minutes ago"), kept current every 30 s.
   2. The recent incidents' day headings are regrouped by the reader's days, the history's by their months.
   statusPage.times(root) runs it again on new content (refresh.js). */
(function () {
  var style = { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
                timeZoneName: "short" };
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var ago = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(undefined, { numeric: "auto" })
                                                   : null;
  var units = [["year", 31536e6], ["month", 2592e6], ["week", 6048e5], ["day", 864e5], ["hour", 36e5],
               ["minute", 6e4]];

  function relative(when) {
    var diff = when - Date.now();
    if (Math.abs(diff) < 6e4) return "just now";
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(diff) >= units[i][1] || units[i][0] === "minute") {
        return ago.format(Math.trunc(diff / units[i][1]), units[i][0]);
      }
    }
  }

  function refreshRelative(root) {
    if (!ago) return;
    root.querySelectorAll("time[data-relative]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      var label = el.nextElementSibling;
      if (!label || !label.hasAttribute("data-ago")) {
        label = document.createElement("span");
        label.className = "ago";
        label.setAttribute("data-ago", "");
        el.after(label);
      }
      label.textContent = " (" + relative(when) + ")";
    });
  }

  function dayKey(date) {  // the reader's calendar day as yyyy-mm-dd
    return date.getFullYear() + "-" + String(date.getMonth() + 1).padStart(2, "0") + "-" +
           String(date.getDate()).padStart(2, "0");
  }

  function heading(newest, oldest, today) {
    if (dayKey(newest) === dayKey(today)) return "Today";
    var fmt = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "long", year: "numeric" });
    return dayKey(newest) === dayKey(oldest) ? fmt.format(newest)
         : fmt.formatRange ? fmt.formatRange(oldest, newest) : fmt.format(oldest) + " – " + fmt.format(newest);
  }

  /* One row per day with incidents, quiet days between merged into one row; today and yesterday never merge
     (as the server does, in the reader's days instead of the site's). */
  function regroupDays(section) {
    var list = section.querySelector("[data-days]");
    if (!list) return;
    var span = Number(list.getAttribute("data-days")) || 14;
    var byDay = {};
    list.querySelectorAll(".history-item").forEach(function (item) {
      var when = new Date(item.querySelector("time[datetime]").getAttribute("datetime"));
      var key = dayKey(when);
      (byDay[key] = byDay[key] || []).push(item);
    });
    var now = new Date();
    var today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    var days = [];
    for (var n = 0; n < span; n++) days.push(new Date(today.getFullYear(), today.getMonth(), today.getDate() - n));
    var rows = [];
    days.forEach(function (day, n) {
      var items = byDay[dayKey(day)] || [];
      var last = rows[rows.length - 1];
      if (!items.length && last && !last.items.length && n !== 1) last.oldest = day;
      else rows.push({ newest: day, oldest: day, items: items });
    });
    var quietText = (list.querySelector(".day-quiet p") || {}).textContent || "No incidents reported.";
    list.textContent = "";
    rows.forEach(function (row) {
      var box = document.createElement("div");
      box.className = "day" + (row.items.length ? "" : " day-quiet");
      var h = document.createElement("h3");
      h.className = "day-heading";
      h.textContent = heading(row.newest, row.oldest, today);
      box.appendChild(h);
      if (row.items.length) {
        var ul = document.createElement("ul");
        ul.className = "history-list";
        row.items.forEach(function (item) { ul.appendChild(item); });
        box.appendChild(ul);
      } else {
        var p = document.createElement("p");
        p.className = "muted";
        p.textContent = quietText;
        box.appendChild(p);
      }
      list.appendChild(box);
    });
  }

  function regroupMonths(list) {
    var fmt = new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric" });
    var months = [];
    list.querySelectorAll(".history-item").forEach(function (item) {
      var name = fmt.format(new Date(item.querySelector("time[datetime]").getAttribute("datetime")));
      if (!months.length || months[months.length - 1].name !== name) months.push({ name: name, items: [] });
      months[months.length - 1].items.push(item);
    });
    list.textContent = "";
    months.forEach(function (month, n) {
      var section = document.createElement("section");
      section.className = "month";
      section.setAttribute("aria-labelledby", "month-" + (n + 1));
      var h = document.createElement("h2");
      h.id = "month-" + (n + 1);
      h.textContent = month.name;
      var ul = document.createElement("ul");
      ul.className = "history-list";
      month.items.forEach(function (item) { ul.appendChild(item); });
      section.append(h, ul);
      list.appendChild(section);
    });
  }

  function times(root) {
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when) || el.hasAttribute("data-localized")) return;
      el.title = el.textContent;
      el.textContent = when.toLocaleString(undefined, style).replace(/ at /, ", ");
      el.setAttribute("data-localized", "");
    });
    refreshRelative(root);
    root.querySelectorAll("section[data-recent]").forEach(regroupDays);
    root.querySelectorAll("[data-months]").forEach(regroupMonths);
    if (!zone) return;
    root.querySelectorAll("[data-zone-note]").forEach(function (note) {
      note.textContent = note.getAttribute("data-zone-note").replace("{zone}", zone);
    });
  }

  window.statusPage = window.statusPage || {};
  window.statusPage.times = times;
  times(document);
  setInterval(function () { refreshRelative(document); }, 30000);
})();
