// Small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // Forms with data-confirm ask before submitting (e.g. leaving a community).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  // Disable a submit button once its form is sent, so a double click does not post twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented || form.hasAttribute("hx-post")) return;
    var buttons = form.querySelectorAll("button[type=submit], input[type=submit]");
    window.setTimeout(function () {
      buttons.forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  // htmx requests refused with a 4xx (e.g. a muted member reacting): show the server's
  // plain-text message next to the element instead of failing silently.
  document.addEventListener("htmx:responseError", function (event) {
    var elt = event.detail.elt;
    var xhr = event.detail.xhr;
    if (!elt || !xhr || xhr.status >= 500) return;
    var note = elt.nextElementSibling;
    if (!note || !note.classList.contains("htmx-error")) {
      note = document.createElement("p");
      note.className = "flash flash-error htmx-error";
      note.setAttribute("role", "alert");
      elt.insertAdjacentElement("afterend", note);
    }
    note.textContent = xhr.responseText || "That didn't work. Please try again.";
  });
})();
