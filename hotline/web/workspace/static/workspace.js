// The workspace's small script: reveal without reloading, keyboard shortcuts, drafts kept in this tab.
// Everything works without it (plain forms); it only saves clicks. No inline script: CSP script-src 'self'.
(function () {
  "use strict";
  var DRAFT_PREFIX = "hotline-draft:";

  function viewToken(value) {
    document.querySelectorAll("input.view-token").forEach(function (input) { input.value = value; });
  }

  function showRevealed(token, shown) {
    viewToken(token);
    shown.forEach(function (id) {
      var img = document.querySelector('img[data-media="' + id + '"]');
      if (img && img.classList.contains("blurred")) {
        img.src = "/workspace/media/" + id + "/preview?view=" + encodeURIComponent(token);
        img.classList.remove("blurred");
        img.alt = "Revealed preview of item " + id;
      }
      var placeholder = document.querySelector('[data-video="' + id + '"]');
      if (placeholder) {
        var video = document.createElement("video");
        video.controls = true;
        video.preload = "none";
        video.width = 240;
        video.src = "/workspace/media/" + id + "/raw?view=" + encodeURIComponent(token);
        video.textContent = "Video of item " + id;
        placeholder.replaceWith(video);
      }
      var form = document.querySelector('form[data-reveal="' + id + '"]');
      if (form) { form.remove(); }
    });
    if (!document.querySelector("form[data-reveal]")) {
      var all = document.querySelector("form[data-reveal-all]");
      if (all) { all.remove(); }
    }
  }

  function revealBy(form) {
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (answer) {
      showRevealed(answer.view, answer.shown);
    }).catch(function () {
      form.submit();  // the plain form: the server answers with the page
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("form[data-reveal], form[data-reveal-all]")) {
      event.preventDefault();
      revealBy(form);
    } else if (form.dataset.draft) {
      var draft = readDraft(form.dataset.draft);
      if (draft) { draft.pending = true; writeDraft(form.dataset.draft, draft); }
    }
  });

  // -- keyboard shortcuts: keys are written on the page (data-key) and listed in "Keyboard shortcuts" --
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) {
      if (!(target.type === "radio" || target.type === "checkbox")) { return; }
    }
    var key = event.key;
    if (key === "?") {
      var help = document.querySelector("details.shortcuts");
      if (help) { help.open = !help.open; event.preventDefault(); }
      return;
    }
    var option = document.querySelector('option[data-key="' + CSS.escape(key) + '"]');
    if (option) {
      option.parentElement.value = option.value;
      option.parentElement.dispatchEvent(new Event("change", { bubbles: true }));
      event.preventDefault();
      return;
    }
    var control = document.querySelector('[data-key="' + CSS.escape(key) + '"]');
    if (!control) { return; }
    event.preventDefault();
    if (control.type === "radio") {
      control.checked = true;
      control.dispatchEvent(new Event("change", { bubbles: true }));
    } else if (control.form && control.form.matches("form[data-reveal-all]")) {
      revealBy(control.form);
    } else if (control.form && control.form.requestSubmit) {
      control.form.requestSubmit(control);
    } else {
      control.click();
    }
  });

  // -- drafts: what is typed in an assessment stays in this tab until it is saved -----------------
  function readDraft(key) {
    try { return JSON.parse(sessionStorage.getItem(DRAFT_PREFIX + key) || "null"); } catch (e) { return null; }
  }
  function writeDraft(key, draft) {
    try { sessionStorage.setItem(DRAFT_PREFIX + key, JSON.stringify(draft)); } catch (e) { /* storage full or off */ }
  }
  function fieldsOf(form) {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || element.name === "csrf" || element.name === "view" || element.type === "submit") { return; }
      if (element.type === "radio") { if (element.checked) { fields[element.name] = element.value; } return; }
      fields[element.name] = element.value;
    });
    return fields;
  }

  // A draft sent with a form is "pending". The page the form led to tells what became of it: the log-in
  // page or an error (data-keep-drafts) means it was not saved, so it is kept to be restored; any other
  // page means it was saved, so it is dropped.
  var keep = document.body.hasAttribute("data-keep-drafts");
  for (var i = sessionStorage.length - 1; i >= 0; i--) {
    var name = sessionStorage.key(i);
    if (name && name.indexOf(DRAFT_PREFIX) === 0) {
      var old = readDraft(name.slice(DRAFT_PREFIX.length));
      if (old && old.pending) {
        if (keep) { old.pending = false; writeDraft(name.slice(DRAFT_PREFIX.length), old); }
        else { sessionStorage.removeItem(name); }
      }
    }
  }

  var form = document.querySelector("form[data-draft]");
  if (form) {
    var key = form.dataset.draft;
    var draft = readDraft(key);
    var typedOnServer = document.getElementById("form-error");
    if (draft && !typedOnServer) {
      Array.prototype.forEach.call(form.elements, function (element) {
        if (!(element.name in draft.fields)) { return; }
        if (element.type === "radio") { element.checked = element.value === draft.fields[element.name]; }
        else if (element.type !== "submit" && element.type !== "hidden") { element.value = draft.fields[element.name]; }
      });
      var note = form.querySelector(".draft-note");
      if (note) { note.hidden = false; }
    }
    var save = function () { writeDraft(key, { fields: fieldsOf(form), pending: false }); };
    // Per-item fields sit in the media grid (form="assess-form"): listen where their events arrive.
    ["input", "change"].forEach(function (type) {
      document.addEventListener(type, function (event) { if (event.target.form === form) { save(); } });
    });
  }
  var problem = document.getElementById("form-error");
  if (problem) { problem.focus(); }
})();
