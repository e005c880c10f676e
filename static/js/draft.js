/* The registration form saves as the officer types, and nothing typed is lost when the session ends.
 *
 * Two layers, both simple:
 * - Every change is written at once to this tab's sessionStorage (key: portal-draft:<user id>:<page path>) while
 *   the server has not acknowledged it. A request that meets an ended session sends the page to the login page
 *   (HX-Redirect) and, after login, back to this page, where the kept values are put back into the form and saved.
 *   Nothing is written to the server without a live session: a session ended by "log out everywhere", a password
 *   change or an administrator must not keep writing.
 * - A moment after the officer stops typing, the form is posted to its autosave URL; the fields the server saved
 *   (valid on their own) are dropped from the tab's copy. Fields verified by MOSIP save on change through their
 *   own route (save_field), so a correction is recorded once per finished edit.
 * The first autosave of a new form creates its draft: the form then posts to that draft and the address becomes
 * the draft's edit page, so a reload or a login comes back to the same draft.
 */
(function () {
  "use strict";

  var DELAY_MS = 1500;
  var timer = null;
  var inFlight = false;
  var again = false;
  var dirty = {};

  function theForm() {
    var form = document.getElementById("registration-form");
    return form && form.dataset.autosaveUrl ? form : null;
  }

  function storageKey(form) {
    return "portal-draft:" + form.dataset.draftUser + ":" + location.pathname;
  }

  function kept(element) {
    return element.name && element.name !== "csrf_token" && element.name !== "action" && element.tagName !== "BUTTON" &&
      element.type !== "file" && element.type !== "submit";
  }

  function snapshot(form) {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!kept(element)) {
        return;
      }
      if (element.type === "radio" || element.type === "checkbox") {
        if (element.checked) {
          values[element.name] = element.value;
        }
        return;
      }
      values[element.name] = element.value;
    });
    return values;
  }

  function persist(form) {
    try {
      if (Object.keys(dirty).length) {
        sessionStorage.setItem(storageKey(form), JSON.stringify(snapshot(form)));
      } else {
        sessionStorage.removeItem(storageKey(form));
      }
    } catch (error) { /* private mode or full: the autosave still runs */ }
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (error) {
      return "";
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(autosave, DELAY_MS);
  }

  function autosave() {
    var form = theForm();
    if (!form || !Object.keys(dirty).length) {
      return;
    }
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    var sent = snapshot(form);
    persist(form);
    fetch(form.dataset.autosaveUrl, {
      method: "POST",
      credentials: "same-origin",
      // Marked like htmx's requests: an ended session answers HX-Redirect to the login page, not a page.
      headers: {"HX-Request": "true", "HX-Current-URL": location.href, "X-CSRFToken": csrfToken(),
                "X-Portal-Draft": "kept", "Content-Type": "application/x-www-form-urlencoded"},
      body: new URLSearchParams(sent).toString()
    }).then(function (response) {
      document.dispatchEvent(new CustomEvent("portal:session-left",
                                             {detail: response.headers.get("Portal-Session-Expires-In")}));
      var target = response.headers.get("HX-Redirect");
      if (target) {
        persist(form);
        location.href = target;
        return null;
      }
      return response.ok ? response.json() : null;
    }).then(function (body) {
      if (body) {
        acknowledged(form, sent, body);
      }
    }).catch(function () { /* offline for a moment: the tab's copy stays, the next change tries again */ })
      .then(function () {
        inFlight = false;
        if (again) {
          again = false;
          schedule();
        }
      });
  }

  function acknowledged(form, sent, body) {
    if (body.edit_url && form.dataset.autosaveUrl !== body.autosave_url) {
      becomeDraft(form, body);
    }
    var now = snapshot(form);
    body.saved.forEach(function (name) {
      if (now[name] === sent[name]) {
        delete dirty[name];
      }
    });
    persist(form);
  }

  function becomeDraft(form, body) {
    // The new form is a draft now: post to it, and make its address the draft's, keeping the tab's copy with it.
    try {
      sessionStorage.removeItem(storageKey(form));
    } catch (error) { /* nothing kept */ }
    var update = body.edit_url;
    form.setAttribute("action", update);
    form.setAttribute("hx-post", update);
    form.dataset.autosaveUrl = body.autosave_url;
    history.replaceState(history.state, "", update);
    if (window.htmx) {
      window.htmx.process(form);
    }
  }

  function changed(event) {
    var form = theForm();
    var element = event.target;
    if (!form || element.form !== form || !kept(element)) {
      return;
    }
    dirty[element.name] = true;
    persist(form);
    schedule();
  }

  function setValue(form, name, value) {
    var elements = form.querySelectorAll("[name='" + CSS.escape(name) + "']");
    var touched = null;
    Array.prototype.forEach.call(elements, function (element) {
      if (element.type === "radio" || element.type === "checkbox") {
        if (element.checked !== (element.value === value)) {
          element.checked = element.value === value;
          touched = element;
        }
      } else if (element.value !== value) {
        element.value = value;
        touched = element;
      }
    });
    return touched;
  }

  function restore() {
    var form = theForm();
    if (!form) {
      return;
    }
    var stored = null;
    try {
      stored = JSON.parse(sessionStorage.getItem(storageKey(form)) || "null");
    } catch (error) {
      return;
    }
    if (!stored) {
      return;
    }
    var touched = [];
    Object.keys(stored).forEach(function (name) {
      var element = setValue(form, name, stored[name]);
      if (element) {
        touched.push(element);
      }
    });
    if (!touched.length) {
      sessionStorage.removeItem(storageKey(form));
      return;
    }
    var note = document.createElement("p");
    note.className = "flash flash-ok";
    note.id = "draft-restored";
    note.setAttribute("role", "status");
    note.textContent = form.dataset.restoredMessage;
    form.insertBefore(note, form.firstChild);
    // A change event on each: autosave saves the plain fields, save_field the ones verified by MOSIP.
    touched.forEach(function (element) {
      element.dispatchEvent(new Event("change", {bubbles: true}));
    });
    autosave();
  }

  document.addEventListener("input", changed);
  document.addEventListener("change", changed);

  document.addEventListener("htmx:configRequest", function (event) {
    var form = theForm();
    if (form && form.contains(event.detail.elt)) {
      persist(form);  // what this request carries is kept until the server has it
      event.detail.headers["X-Portal-Draft"] = "kept";
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = theForm();
    var xhr = event.detail.xhr;
    if (!form || !xhr) {
      return;
    }
    var elt = event.detail.elt;
    // (htmx leaves `successful` unset when it follows HX-Redirect, so the status tells)
    if (elt === form && xhr.status === 204 && xhr.getResponseHeader("HX-Redirect")) {
      dirty = {};  // saved (Save draft, Confirm): the server has every value
      persist(form);
    } else if (event.detail.successful && elt.id && elt.id.indexOf("field-") === 0) {
      delete dirty[elt.id.slice("field-".length)];
      persist(theForm());
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", restore);
  } else {
    restore();
  }
})();
