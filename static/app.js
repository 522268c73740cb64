// Small enhancements on top of htmx; every page works without this file.
(function () {
  "use strict";

  // Every sentence this file shows comes from the page (base.html renders it in the reader's
  // language), so a French page never speaks English from here.
  var uiText = {};
  try {
    uiText = JSON.parse(document.getElementById("ui-text").textContent);
  } catch (ignored) { /* a page without the block keeps the keys as a last resort */ }
  function say(key, params) {
    var text = uiText[key] || key;
    Object.keys(params || {}).forEach(function (name) {
      text = text.split("%(" + name + ")s").join(String(params[name]));
    });
    return text;
  }

  // #flashes and #announcer are permanent live regions: only their content changes, since a
  // replaced live region is not reliably announced. `source` tells which messages may be cleared
  // by a later success (a poll's, or "cannot be reached" once the server answers again).
  function showFlash(text, category, source) {
    var box = document.getElementById("flashes");
    if (!box) return;
    var p = document.createElement("p");
    p.className = "flash flash-" + category;
    p.setAttribute("data-source", source);
    p.textContent = text;
    box.replaceChildren(p);
  }
  function clearFlashes(sources) {
    var box = document.getElementById("flashes");
    if (!box) return;
    box.querySelectorAll("[data-source]").forEach(function (p) {
      if (sources.indexOf(p.getAttribute("data-source")) >= 0) p.remove();
    });
  }
  function announce(text) {
    var region = document.getElementById("announcer");
    if (!region || !text) return;
    // The same sentence twice in a row (two searches with one result each) must still be read:
    // empty the region first, then fill it once the change has been noticed.
    region.textContent = "";
    setTimeout(function () { region.textContent = text; }, 50);
  }

  // A poll is a request no person asked for: a timer's (hx-trigger "every"), with no event.
  function isPoll(detail) {
    var config = detail.requestConfig || {};
    var elt = detail.elt;
    if (config.triggeringEvent || !elt || !elt.getAttribute) return false;
    return /\bevery\b/.test(elt.getAttribute("hx-trigger") || "");
  }

  // What beforeRequest decided: htmx dispatches the later events of a request whose element was
  // swapped out on an ancestor, with that ancestor as detail.elt.
  function pollOf(detail) {
    var feedback = detail.requestConfig && detail.requestConfig.feedback;
    return feedback ? feedback.poll : isPoll(detail);
  }

  // A 401 means the session ended while this page was open (logged out elsewhere, expired,
  // ended from the sessions page): nothing is swapped in, every poll and request of the page
  // stops, and the browser goes to the login page, which comes back here once logged in.
  var sessionEnded = false;
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status !== 401) return;
    event.preventDefault();
    if (sessionEnded) return;
    sessionEnded = true;
    var login = xhr.getResponseHeader("X-Login-URL") || "/login";
    var here = window.location.pathname + window.location.search;
    window.location.assign(login + (login.indexOf("?") < 0 ? "?" : "&") + "next=" + encodeURIComponent(here));
  });

  // Buttons say they are working while their request runs: htmx disables them
  // (hx-disabled-elt); <button data-busy-label="Creating…"> gets that label meanwhile.
  function setBusy(elt, busy) {
    var buttons = elt.matches("[data-busy-label]") ? [elt] : Array.prototype.slice.call(elt.querySelectorAll("[data-busy-label]"));
    buttons.forEach(function (button) {
      if (busy && button.getAttribute("data-idle-label") === null) {
        button.setAttribute("data-idle-label", button.innerHTML);
        button.textContent = button.getAttribute("data-busy-label");
      } else if (!busy && button.getAttribute("data-idle-label") !== null) {
        button.innerHTML = button.getAttribute("data-idle-label");
        button.removeAttribute("data-idle-label");
      }
    });
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var detail = event.detail;
    if (sessionEnded || (isPoll(detail) && document.visibilityState === "hidden")) {
      event.preventDefault();
      return;
    }
    var target = detail.target;
    // What the swap may change is remembered by id, since an outerHTML swap replaces the target.
    detail.requestConfig.feedback = {
      targetId: target && target.id,
      poll: isPoll(detail),
      search: !!(detail.elt.closest && detail.elt.closest("[role=search]")),
      before: target && target.getAttribute ? target.getAttribute("data-announce") : null
    };
    setBusy(detail.elt, true);
  });

  // A poll that replaces the element holding the focus would drop it to <body>: noted here, put
  // back on the new element once settled.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var feedback = event.detail.requestConfig && event.detail.requestConfig.feedback;
    var target = event.detail.target;
    if (!feedback || !target || !target.querySelector) return;
    feedback.hadFocus = target.contains(document.activeElement);
    // A poll brings no message of its own: the last action's message stays until the next one.
    var said = feedback.poll && target.querySelector("[data-feedback]");
    if (said && said.children.length) feedback.kept = said.innerHTML;
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail;
    setBusy(detail.elt, false);
    if (!detail.successful || !detail.xhr || !detail.xhr.status) return;
    // The server answers again: what said otherwise is no longer true.
    clearFlashes(pollOf(detail) ? ["poll", "offline"] : ["offline"]);
  });

  // htmx does not swap error answers: say in plain words what happened instead of doing nothing.
  // A poll's failure is not the person's: it says the updates paused, not that an action failed.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (pollOf(event.detail)) {
      showFlash(say("poll_error", { status: status }), "warning", "poll");
      return;
    }
    var key = { 400: "expired", 403: "forbidden", 404: "gone", 429: "too_many" }[status] || "action_error";
    showFlash(say(key, { status: status }), "error", "action");
  });

  document.addEventListener("htmx:sendError", function (event) {
    if (pollOf(event.detail)) showFlash(say("poll_offline"), "warning", "poll");
    else showFlash(say("offline"), "error", "offline");
  });

  // After an in-place action, focus goes where its result is: the error summary, else the
  // message the answer carries, else the changed element itself. A poll moves nothing; it
  // announces a changed status, as a search announces its count.
  function focusResult(root) {
    if (!root) return;
    var spot = root.querySelector("[data-error-summary]");
    if (!spot) {
      spot = Array.prototype.filter.call(root.querySelectorAll("[data-feedback]"), function (box) {
        return box.children.length > 0;
      })[0];
    }
    if (!spot && root.hasAttribute("tabindex")) spot = root;
    if (spot) spot.focus();
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    var config = event.detail.requestConfig;
    var feedback = config && config.feedback;
    if (!feedback || feedback.done) return;
    feedback.done = true;
    var target = feedback.targetId ? document.getElementById(feedback.targetId) : event.detail.target;
    if (!target || !target.getAttribute) return;
    var now = target.getAttribute("data-announce");
    if (feedback.search) {
      announce(now);
    } else if (feedback.poll) {
      if (now && now !== feedback.before) announce(now);
      var box = target.querySelector("[data-feedback]");
      if (box && feedback.kept && !box.children.length) box.innerHTML = feedback.kept;
      var lost = !document.activeElement || document.activeElement === document.body;
      if (feedback.hadFocus && lost) (box && box.children.length ? box : target).focus({ preventScroll: true });
    } else if (config.verb !== "get") {
      focusResult(target);
    }
  });

  // Polls wait while the tab is hidden (nobody reads them) and catch up as soon as it is shown.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible" || !window.htmx) return;
    document.querySelectorAll("[hx-trigger*='every'][hx-get]").forEach(function (elt) {
      window.htmx.ajax("get", elt.getAttribute("hx-get"), {
        source: elt, target: elt, swap: elt.getAttribute("hx-swap") || "outerHTML"
      });
    });
  });

  // A page that comes back with errors (without htmx) starts at its summary.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();

  // The summary's links put the cursor in the field, not only the field in view.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    field.focus();
  });

  // The address suggested from the names fills the field only while the person has not typed
  // in it: <input hx-swap="none" data-suggest-into="id"> reads the suggestion from the answer,
  // and an answer that arrives once they are in the field, or have typed in it, is dropped.
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    var id = elt.getAttribute && elt.getAttribute("data-suggest-into");
    if (!id || !event.detail.successful) return;
    var field = document.getElementById(id);
    if (!field || field.getAttribute("data-edited") === "yes") return;
    // The cursor is in the field: they are about to type there (a slow answer would otherwise
    // land under their first keystrokes).
    if (document.activeElement === field) return;
    var flag = field.form && field.form.querySelector('input[name="' + field.getAttribute("data-mark-edited") + '"]');
    if (flag && flag.value === "1") return;
    var answer = new DOMParser().parseFromString(event.detail.xhr.responseText, "text/html");
    var suggested = answer.getElementById(id);
    if (suggested) field.value = suggested.value;
  });

  // Copy buttons: <button data-copy="element-id"> copies that element's text.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.firstChild;
      var before = label.textContent;
      label.textContent = say("copied");
      setTimeout(function () { label.textContent = before; }, 1500);
    });
  });

  // Once someone types in a suggested field, stop suggesting: <input data-mark-edited="name">
  // sets the hidden input of that name (for the server) and marks itself (for the suggestion).
  document.addEventListener("input", function (event) {
    var name = event.target.getAttribute && event.target.getAttribute("data-mark-edited");
    if (!name || !event.target.form) return;
    event.target.setAttribute("data-edited", "yes");
    var flag = event.target.form.querySelector('input[name="' + name + '"]');
    if (flag) flag.value = "1";
  });
})();

// Copy buttons come hidden, since they do nothing without this script, and are shown where the
// clipboard works (the value stays selectable text either way).
function showCopyButtons(root) {
  if (!navigator.clipboard || !root.querySelectorAll) return;
  root.querySelectorAll("[data-copy][hidden]").forEach(function (button) { button.hidden = false; });
}
document.addEventListener("DOMContentLoaded", function () { showCopyButtons(document); });
document.addEventListener("htmx:load", function (event) { showCopyButtons(event.detail.elt); });
