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

/* Moat Book: the what-if charts' reset button puts every control back to the book's setting.
   The charts compute everything themselves (Vega); this only moves the inputs and tells Vega. */
document.addEventListener("click", function (e) {
  var btn = e.target.closest ? e.target.closest("button.mb-whatif-reset") : null;
  if (!btn) { return; }
  var defaults = JSON.parse(btn.getAttribute("data-mb-defaults") || "{}");
  var fig = btn.closest("figure");
  Object.keys(defaults).forEach(function (name) {
    fig.querySelectorAll('[name="' + name + '"]').forEach(function (el) {
      if (el.tagName === "SELECT") {
        Array.prototype.forEach.call(el.options, function (o, i) {
          if (String(o.value) === String(defaults[name])) { el.selectedIndex = i; }
        });
        el.dispatchEvent(new Event("change", {bubbles: true}));
      } else {
        el.value = defaults[name];
        el.dispatchEvent(new Event("input", {bubbles: true}));
      }
    });
  });
});
