/* This status page's notice for other sites. Include it where the notice should appear:
     <script src="{{ base_url|replace("*/", "") }}/embed/script.js" async></script>
   Optional: data-target="#some-element" (put the notice in it), data-width="480px" (at most 420px otherwise).
   It adds one iframe of /embed/frame, sandboxed: nothing in it can touch your page. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) { return; }
  var frame = document.createElement("iframe");
  frame.src = new URL("frame", script.src).href;
  frame.title = {{ ("Current status: " ~ site_name)|tojson }};
  frame.setAttribute("sandbox", "allow-popups allow-popups-to-escape-sandbox");
  frame.setAttribute("loading", "lazy");
  frame.style.cssText = "display:block;width:100%;height:64px;border:0;max-width:" +
    (script.getAttribute("data-width") || "420px");
  var selector = script.getAttribute("data-target");
  var target = selector ? document.querySelector(selector) : null;
  if (target) {
    target.appendChild(frame);
  } else if (script.parentNode) {
    script.parentNode.insertBefore(frame, script.nextSibling);
  }
}());
