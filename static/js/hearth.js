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

  // Menus are <details>: close the open ones on a click elsewhere or on Escape.
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open], details.react-picker[open]").forEach(function (d) {
      if (d !== except && !d.contains(except)) d.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (event) {
    var inside = event.target instanceof Element ? event.target.closest("details.menu, details.react-picker") : null;
    closeMenus(inside);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details.menu[open], details.react-picker[open]");
    if (open) {
      open.removeAttribute("open");
      var summary = open.querySelector("summary");
      if (summary) summary.focus();
    }
  });

  // Quote the selected text of a post into the reply box.
  function composer() { return document.querySelector("form.composer textarea[name=body]"); }
  function selectionIn(post) {
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || !sel.rangeCount) return "";
    var body = post.querySelector(".post-body");
    if (!body || !body.contains(sel.getRangeAt(0).commonAncestorContainer)) return "";
    return sel.toString().trim();
  }
  document.addEventListener("selectionchange", function () {
    document.querySelectorAll(".quote-button").forEach(function (button) {
      var post = button.closest(".post");
      button.hidden = !(post && composer() && selectionIn(post));
    });
  });
  document.addEventListener("mousedown", function (event) {
    // Keep the selection when the quote button is pressed.
    if (event.target instanceof Element && event.target.closest(".quote-button")) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest(".quote-button") : null;
    if (!button) return;
    var post = button.closest(".post");
    var box = composer();
    var text = post ? selectionIn(post) : "";
    if (!box || !text) return;
    var quoted = text.split(/\r?\n/).map(function (line) { return "> " + line; }).join("\n");
    var who = button.dataset.author ? "@" + button.dataset.author + " wrote:\n" : "";
    box.value = (box.value ? box.value.replace(/\s*$/, "\n\n") : "") + who + quoted + "\n\n";
    var replyTo = box.form.querySelector("input[name=reply_to]");
    if (replyTo && !replyTo.value) replyTo.value = button.dataset.quote;
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
    box.scrollIntoView({ block: "center" });
  });

  // Live updates: an open thread polls a cheap conditional endpoint; new replies show as a bar.
  function visible() { return document.visibilityState !== "hidden"; }
  var thread = document.querySelector("article.thread[data-live-url]");
  if (thread && window.fetch) {
    var version = thread.dataset.liveVersion;
    var interval = parseInt(thread.dataset.liveInterval, 10) || 10000;
    var bar = document.getElementById("live-bar");
    var pending = 0;
    var lastId = function () {
      var ids = Array.prototype.map.call(thread.querySelectorAll("[data-post-id]"), function (el) {
        return parseInt(el.dataset.postId, 10) || 0;
      });
      return ids.length ? Math.max.apply(null, ids) : 0;
    };
    var showBar = function () {
      bar.textContent = "";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "live-bar-button";
      button.textContent = pending + (pending === 1 ? " new reply" : " new replies") + " — show";
      button.addEventListener("click", loadNew);
      bar.appendChild(button);
      bar.hidden = false;
    };
    var loadNew = function () {
      if (thread.hasAttribute("data-not-last-page")) {
        window.location.href = thread.dataset.moreUrl;
        return;
      }
      fetch(window.location.pathname + window.location.search, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var known = lastId();
          var first = null;
          doc.querySelectorAll("article.thread [data-post-id]").forEach(function (el) {
            if ((parseInt(el.dataset.postId, 10) || 0) > known && !document.getElementById(el.id)) {
              var node = document.importNode(el, true);
              node.classList.add("post-new", "post-arrived");
              bar.parentNode.insertBefore(node, bar);
              if (window.htmx) window.htmx.process(node);
              first = first || node;
            }
          });
          var fresh = doc.querySelector("article.thread[data-live-version]");
          if (fresh) version = fresh.dataset.liveVersion;
          pending = 0;
          bar.hidden = true;
          bar.textContent = "";
          if (first) first.scrollIntoView({ block: "start", behavior: "smooth" });
        })
        .catch(function () { window.location.reload(); });
    };
    var poll = function () {
      if (!visible()) return;
      fetch(thread.dataset.liveUrl + "?after=" + lastId(), {
        credentials: "same-origin",
        headers: { "If-None-Match": '"' + version + '"' },
        cache: "no-store",
      })
        .then(function (r) { return r.status === 200 ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          version = data.version;
          if (data.new > 0 && data.new !== pending) {
            pending = data.new;
            showBar();
          }
        })
        .catch(function () {});
    };
    window.setInterval(poll, interval);
    document.addEventListener("visibilitychange", function () { if (visible()) poll(); });
  }

  // The bell: refresh the unread count every half minute (cheap: 304 when unchanged).
  var bell = document.getElementById("bell");
  if (bell && bell.dataset.liveBell && window.fetch) {
    var badge = bell.querySelector("[data-count]");
    var etag = '"' + (badge ? badge.textContent.trim() : "0") + '"';
    var refreshBell = function () {
      if (!visible()) return;
      fetch(bell.dataset.liveBell, { credentials: "same-origin", headers: { "If-None-Match": etag }, cache: "no-store" })
        .then(function (r) { return r.status === 200 ? r.json() : null; })
        .then(function (data) {
          if (!data || !badge) return;
          etag = '"' + data.unread + '"';
          badge.textContent = data.unread;
          badge.classList.toggle("badge-hidden", !data.unread);
          bell.setAttribute("aria-label", data.unread ? "Notifications: " + data.unread + " unread" : "Notifications");
        })
        .catch(function () {});
    };
    window.setInterval(refreshBell, parseInt(bell.dataset.liveInterval, 10) || 30000);
  }

  // Ritual form: show only the fields of the chosen frequency.
  var frequency = document.querySelector("select[name=frequency]");
  if (frequency) {
    var sync = function () {
      document.querySelectorAll("[data-frequencies]").forEach(function (el) {
        var list = el.dataset.frequencies.split(" ");
        el.hidden = list.indexOf(frequency.value) === -1;
      });
    };
    frequency.addEventListener("change", sync);
    sync();
  }
})();
