// Auto-refresh of the inbound queue: reloads the table in place every N seconds, unless the user is busy
// (a field has focus or a row is ticked). Without JavaScript the page simply does not refresh itself.
(function () {
  "use strict";
  var box = document.getElementById("wachtrij-inhoud");
  if (!box) { return; }
  var seconds = parseInt(box.getAttribute("data-refresh") || "0", 10);
  if (!seconds) { return; }
  function busy() {
    var active = document.activeElement;
    if (active && /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(active.tagName)) { return true; }
    return box.querySelector("input[type=checkbox]:checked") !== null;
  }
  function refresh() {
    if (document.hidden || busy()) { return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Vernieuwen": "1" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html || busy()) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("wachtrij-inhoud");
        if (fresh) { box.innerHTML = fresh.innerHTML; }
      })
      .catch(function () { /* try again next time */ });
  }
  window.setInterval(refresh, seconds * 1000);
})();
