/* Stands in for an analytics tag on the demo page: sets a cookie and calls home. The banner loads
   it only after consent to analytics (it sits on the page as type="text/plain" until then). */
(function () {
  "use strict";
  document.cookie = "_ga=GA1.1.privet-demo; Max-Age=3600; Path=/; SameSite=Lax";
  fetch("/consent/demo/beacon?purpose=analytics", { cache: "no-store" });
  var status = document.getElementById("demo-analytics");
  if (status) status.textContent = status.getAttribute("data-on");
})();
