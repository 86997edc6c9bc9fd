/* Stands in for a Google tag placed right after the banner's tag on the demo page. A real one
   reads the dataLayer when it runs, so Consent Mode's "default" must already be there: this
   records what it found, and says so on the page. */
(function () {
  "use strict";
  var first = (window.dataLayer || [])[0];
  var seen = first && first[0] === "consent" && first[1] === "default";
  window.privetDemoGtag = { seen: Boolean(seen), first: first ? Array.prototype.slice.call(first) : null };
  function show() {
    var status = document.getElementById("demo-gtag");
    if (status) status.textContent = status.getAttribute(seen ? "data-seen" : "data-missed");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", show);
  else show();
})();
