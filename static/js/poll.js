// Polling for the live panels (issue 13: an idle dashboard made 48 requests a minute over 2G).
//
// An element with data-poll="SECONDS" and hx-trigger="poll" is asked for its new version every SECONDS while
// the tab is visible. Each 204 (nothing changed) doubles the wait, up to data-poll-max; a change brings every
// panel of the page back to its base interval; 286 stops that panel (htmx's "stop polling" status). A hidden
// tab sends nothing; when it is shown again every panel polls at once and starts again from its base interval.
// Plain script, no eval: the page's CSP allows script-src 'self' only.
(function () {
  "use strict";
  var panels = [];

  function schedule(panel, delay) {
    clearTimeout(panel.timer);
    panel.timer = null;
    if (panel.stopped || document.visibilityState === "hidden") return;
    panel.delay = delay;
    panel.timer = setTimeout(function () {
      panel.timer = null;
      if (document.visibilityState !== "hidden") panel.element.dispatchEvent(new Event("poll"));
    }, delay * 1000);
  }

  function answered(panel, status) {
    if (status === 286) {
      panel.stopped = true;
    } else if (status >= 200 && status < 300 && status !== 204) {
      panels.forEach(function (other) {  // something moved: watch every panel closely again
        if (other !== panel && other.timer && other.delay > other.base) schedule(other, other.base);
      });
      schedule(panel, panel.base);
      return;
    }
    // 204, an error or no answer: nothing new, so wait longer before asking again
    schedule(panel, Math.min(panel.delay * 2, panel.max));
  }

  function start() {
    document.querySelectorAll("[data-poll]").forEach(function (element) {
      var base = parseFloat(element.dataset.poll);
      if (!(base > 0)) return;
      var max = parseFloat(element.dataset.pollMax);
      var panel = {element: element, base: base, max: max >= base ? max : base, delay: base, timer: null,
                   stopped: false};
      panels.push(panel);
      element.addEventListener("htmx:afterRequest", function (event) {
        if (event.detail.elt !== element) return;  // a request of a form or button inside the panel
        answered(panel, event.detail.xhr ? event.detail.xhr.status : 0);
      });
      schedule(panel, base);
    });
  }

  document.addEventListener("visibilitychange", function () {
    panels.forEach(function (panel) {
      if (document.visibilityState === "hidden") {
        clearTimeout(panel.timer);
        panel.timer = null;
      } else if (!panel.stopped) {
        panel.delay = panel.base;
        panel.element.dispatchEvent(new Event("poll"));
      }
    });
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
