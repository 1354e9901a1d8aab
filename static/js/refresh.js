/* While an incident is open (the server marks <main data-refresh="summary address">), check the summary every
   60 s with its ETag (If-None-Match: an unchanged site costs a 304 and no body). When it changed, fetch this
   page again and swap the new <main> content in place: no reload, no flash, open groups stay open, and a
   reader's focus inside the page is never pulled away (the swap waits for the next check). Without JavaScript
   nothing changes: the page is a plain document. */
(function () {
  var main = document.querySelector("main[data-refresh]");
  if (!main || !window.fetch || !window.DOMParser) return;
  var EVERY = 60000;
  var summary = main.getAttribute("data-refresh");
  var etag = null, stale = false, timer = null, busy = false;
  var note = document.createElement("p");
  note.className = "visually-hidden";
  note.setAttribute("role", "status");
  main.after(note);

  function openGroups() {
    var open = {};
    main.querySelectorAll("details").forEach(function (d) {
      open[d.querySelector("summary").textContent.trim()] = d.open;
    });
    return open;
  }

  function swap() {
    var focus = document.activeElement;
    if (focus && focus !== main && main.contains(focus)) return;  // try again at the next check
    return fetch(location.href, { cache: "no-cache" }).then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        var doc = html && new DOMParser().parseFromString(html, "text/html");
        var fresh = doc && doc.querySelector("main");
        if (!fresh) return;
        var open = openGroups();
        main.replaceChildren.apply(main, Array.prototype.slice.call(document.adoptNode(fresh).childNodes));
        main.querySelectorAll("details").forEach(function (d) {
          var key = d.querySelector("summary").textContent.trim();
          if (key in open) d.open = open[key];
        });
        document.title = doc.title;
        stale = false;
        if (window.statusPage && statusPage.times) statusPage.times(main);
        if (window.statusPage && statusPage.bars) statusPage.bars(main);
        note.textContent = "This page was updated with the latest status.";
        if (!fresh.hasAttribute("data-refresh")) clearInterval(timer);  // nothing open any more
      });
  }

  function check() {
    if (document.hidden || busy) return;  // one check at a time: the next one sends the ETag of this one
    busy = true;
    fetch(summary, { cache: "no-store", headers: etag ? { "If-None-Match": etag } : {} })
      .then(function (r) {
        if (r.status === 200) {
          var first = etag === null;
          etag = r.headers.get("ETag");
          if (!first) stale = true;
        }
        if (stale) return swap();
      })
      .catch(function () { /* offline for a moment: the next check tries again */ })
      .then(function () { busy = false; });
  }

  check();
  timer = setInterval(check, EVERY);
  document.addEventListener("visibilitychange", check);
})();
