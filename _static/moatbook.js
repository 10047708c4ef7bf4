/* Moat Book: print the evidence tables open. Closed <details> blocks (evidence groups,
   chart data tables) open while the page prints and close again afterwards; exercise
   answers stay closed. The stylesheet does the same where the browser supports it. */
(function () {
  var opened = [];
  function openAll() {
    document.querySelectorAll("details.mb-details:not(.mb-solution):not([open])").forEach(function (d) {
      d.setAttribute("open", "");
      opened.push(d);
    });
  }
  function restore() {
    opened.forEach(function (d) { d.removeAttribute("open"); });
    opened = [];
  }
  window.addEventListener("beforeprint", openAll);
  window.addEventListener("afterprint", restore);
  if (window.matchMedia) {
    var mq = window.matchMedia("print");
    var onChange = function (e) { if (e.matches) { openAll(); } else { restore(); } };
    if (mq.addEventListener) { mq.addEventListener("change", onChange); } else if (mq.addListener) { mq.addListener(onChange); }
    if (mq.matches) { document.addEventListener("DOMContentLoaded", openAll); }
  }
})();
