/* The idle warning, and what logging out clears (templates/base.html includes this with its settings).
 *
 * The server ends a session after PORTAL_SESSION_IDLE_MINUTES without a request. Every page and every response of
 * a logged-in request says how many seconds the session has left (Portal-Session-Expires-In); a moment before the
 * end this shows a warning with "Stay logged in" (a request that counts as activity). Before warning it asks the
 * server again (without extending the session): work in another tab may have kept the session alive.
 * Plain JavaScript: the CSP allows scripts from the portal only, no inline code.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var settings = script.dataset;
  var warnSeconds = Number(settings.warnSeconds);
  var expiresAt = Date.now() + Number(settings.expiresIn) * 1000;
  var warnTimer = null;
  var endTimer = null;
  var banner = null;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (error) {
      return "";
    }
  }

  // The headers htmx sends: the server answers a script's request on an ended session with HX-Redirect.
  function scriptHeaders() {
    return {"HX-Request": "true", "HX-Current-URL": location.href, "X-CSRFToken": csrfToken()};
  }

  function followRedirect(response) {
    var target = response.headers.get("HX-Redirect");
    if (target) {
      location.href = target;
      return true;
    }
    return false;
  }

  function schedule(warned) {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    var left = expiresAt - Date.now();
    if (!warned) {
      warnTimer = setTimeout(check, Math.max(0, left - warnSeconds * 1000));
    }
    endTimer = setTimeout(check, Math.max(0, left + 1000));
  }

  function heard(seconds) {
    if (seconds === null || seconds === undefined || seconds === "" || isNaN(Number(seconds))) {
      return;
    }
    expiresAt = Date.now() + Number(seconds) * 1000;
    if (expiresAt - Date.now() > warnSeconds * 1000) {
      hide();
    }
    schedule();
  }

  function check() {
    fetch(settings.statusUrl, {headers: scriptHeaders(), credentials: "same-origin"}).then(function (response) {
      if (response.status === 401) {
        ended();
        return null;
      }
      return response.ok ? response.json() : null;
    }).then(function (body) {
      if (!body) {
        return;
      }
      expiresAt = Date.now() + body.expires_in * 1000;
      if (body.expires_in <= 0) {
        ended();
      } else if (body.expires_in <= warnSeconds + 1) {
        warn();
        schedule(true);  // only the end now: the warning stays until "Stay logged in" or a request
      } else {
        heard(body.expires_in);
      }
    }).catch(function () { /* offline for a moment: the next request will tell */ });
  }

  function showBanner() {
    if (!banner) {
      banner = document.createElement("div");
      banner.id = "session-warning";
      banner.className = "session-warning";
      banner.setAttribute("role", "alert");
      var main = document.getElementById("main");
      main.insertBefore(banner, main.firstChild);
    }
    banner.textContent = "";
    banner.hidden = false;
    return banner;
  }

  function hide() {
    if (banner) {
      banner.hidden = true;
    }
  }

  function warn() {
    var at = new Date(expiresAt).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
    var box = showBanner();
    var text = document.createElement("p");
    text.textContent = settings.warning.replace("{time}", at);
    var stay = document.createElement("button");
    stay.type = "button";
    stay.className = "btn btn-primary";
    stay.textContent = settings.stay;
    stay.addEventListener("click", stayLoggedIn);
    box.appendChild(text);
    box.appendChild(stay);
  }

  function ended() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    var box = showBanner();
    var text = document.createElement("p");
    text.textContent = settings.ended + " ";
    var link = document.createElement("a");
    link.href = settings.loginUrl;
    link.textContent = settings.login;
    text.appendChild(link);
    box.appendChild(text);
  }

  function stayLoggedIn() {
    fetch(settings.refreshUrl, {method: "POST", headers: scriptHeaders(), credentials: "same-origin"})
      .then(function (response) {
        if (followRedirect(response)) {
          return;
        }
        if (response.ok) {
          hide();
          heard(response.headers.get("Portal-Session-Expires-In"));
        }
      }).catch(function () { /* the warning stays: the officer can try again */ });
  }

  // Every htmx answer restarts the clock; draft.js reports its own requests the same way.
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (xhr) {
      heard(xhr.getResponseHeader("Portal-Session-Expires-In"));
    }
  });
  document.addEventListener("portal:session-left", function (event) {
    heard(event.detail);
  });

  // Logging out on purpose: what this tab kept of unsent drafts must not wait for the next person at this computer.
  document.addEventListener("submit", function (event) {
    if (!event.target.hasAttribute("data-ends-session")) {
      return;
    }
    try {
      for (var i = sessionStorage.length - 1; i >= 0; i--) {
        var key = sessionStorage.key(i);
        if (key && key.indexOf("portal-draft:") === 0) {
          sessionStorage.removeItem(key);
        }
      }
    } catch (error) { /* storage unavailable: nothing was kept */ }
  });

  schedule();
})();
