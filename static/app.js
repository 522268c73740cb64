// Small enhancements on top of htmx; every page works without this file.
(function () {
  "use strict";

  function showFlash(text, category) {
    var box = document.getElementById("flashes");
    if (!box) return;
    var p = document.createElement("p");
    p.className = "flash flash-" + category;
    p.textContent = text;
    box.replaceChildren(p);
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
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (sessionEnded) event.preventDefault();
  });

  // htmx does not swap error answers: say in plain words what happened instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    var text = {
      400: "The form has expired. Reload the page and try again.",
      403: "Your role on this domain does not allow this action.",
      404: "This page no longer exists, or you no longer have access to it.",
      429: "Too many requests. Wait a moment and try again."
    }[status] || "The server could not complete this action (error " + status + "). Try again in a moment.";
    showFlash(text, "error");
  });

  document.addEventListener("htmx:sendError", function () {
    showFlash("The server cannot be reached. Check your connection and try again.", "error");
  });
})();

// Copy buttons: <button data-copy="element-id" hidden> copies that element's text. They come
// hidden, since they do nothing without this script, and are shown where the clipboard works.
function showCopyButtons(root) {
  if (!navigator.clipboard || !root.querySelectorAll) return;
  root.querySelectorAll("[data-copy][hidden]").forEach(function (button) { button.hidden = false; });
}
document.addEventListener("DOMContentLoaded", function () { showCopyButtons(document); });
document.addEventListener("htmx:load", function (event) { showCopyButtons(event.detail.elt); });
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    var label = button.firstChild;
    var before = label.textContent;
    label.textContent = "Copied";
    setTimeout(function () { label.textContent = before; }, 1500);
  });
});

// Once someone types in a suggested field, stop suggesting: <input data-mark-edited="name">
// sets the hidden input of that name.
document.addEventListener("input", function (event) {
  var name = event.target.getAttribute && event.target.getAttribute("data-mark-edited");
  if (!name || !event.target.form) return;
  var flag = event.target.form.querySelector('input[name="' + name + '"]');
  if (flag) flag.value = "1";
});
