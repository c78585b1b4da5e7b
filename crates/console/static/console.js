// gureum console: progressive enhancement only. Every form works without this file;
// it adds the project switcher's auto-submit, the typed-name guard of destructive
// actions (the server checks the name again), selects whose options follow another
// field, and live updates of transitional states.
(function () {
  "use strict";

  // The project switcher navigates as soon as a project is chosen.
  function switcher(root) {
    root.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
      var button = sel.form && sel.form.querySelector("button[type=submit]");
      if (button) button.hidden = true;
      sel.addEventListener("change", function () { if (sel.value) sel.form.submit(); });
    });
  }

  // A destructive action's button is enabled once the typed name matches.
  function confirmations(root) {
    root.querySelectorAll("form[data-confirm]").forEach(function (form) {
      var expected = form.getAttribute("data-confirm");
      var input = form.querySelector("input[name=confirm_name]");
      var button = form.querySelector("[data-confirm-button]");
      if (!input || !button || input.disabled) return;
      var sync = function () { button.disabled = input.value !== expected; };
      input.addEventListener("input", sync);
      sync();
    });
  }

  // A select[data-depends-on] offers only the options whose data-when lists the
  // controlling field's value; with none left it is disabled (and so is whatever
  // depends on it, through the change event it sends).
  function dependents(root) {
    root.querySelectorAll("select[data-depends-on]").forEach(function (sel) {
      var control = sel.form && sel.form.elements[sel.getAttribute("data-depends-on")];
      if (!control) return;
      var sync = function () {
        var value = control.disabled ? null : control.value;
        var any = false;
        Array.prototype.forEach.call(sel.options, function (o) {
          var when = o.getAttribute("data-when");
          if (when === null) return;
          var on = value !== null && when.split(" ").indexOf(value) >= 0;
          o.hidden = !on;
          o.disabled = !on;
          if (on) any = true;
          else if (o.selected) sel.value = "";
        });
        sel.disabled = !any;
        sel.dispatchEvent(new Event("change"));
      };
      control.addEventListener("change", sync);
      sync();
    });
  }

  function enhance(root) {
    switcher(root);
    confirmations(root);
    dependents(root);
  }

  // Live status: while anything on the page is in a transitional (amber) state, the
  // page is fetched again every second and each [data-live] block whose content
  // changed is swapped in place. No reload, no lost scroll position; a block holding
  // the keyboard focus in one of its inputs is left alone.
  var POLL_MS = 1000;
  var timer = null;

  function busy() {
    // Also while something waits for its time (a reserved maintenance slot).
    return document.querySelector("[data-live] .st-amber, [data-live] .st-waiting") !== null;
  }

  function typingIn(block) {
    var a = document.activeElement;
    return a && block.contains(a) && /^(INPUT|SELECT|TEXTAREA)$/.test(a.tagName) && a.type !== "submit";
  }

  function refresh() {
    timer = null;
    fetch(document.body.getAttribute("data-live-url") || location.href, { headers: { "X-Console-Live": "1" }, credentials: "same-origin", cache: "no-store" })
      .then(function (resp) {
        if (resp.status === 404) {
          // The resource is gone (deleted): go to its list.
          var up = document.querySelector(".crumbs li:last-child a");
          if (up) location.assign(up.href);
          return null;
        }
        if (!resp.ok) return null;
        return resp.text();
      })
      .then(function (html) {
        if (html === null || html === undefined) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live][id]").forEach(function (block) {
          var fresh = doc.getElementById(block.id);
          if (!fresh || fresh.innerHTML === block.innerHTML || typingIn(block)) return;
          block.replaceWith(fresh);
          enhance(fresh);
        });
        schedule();
      })
      .catch(function () { schedule(POLL_MS * 5); });
  }

  function schedule(ms) {
    if (timer === null && busy()) timer = setTimeout(refresh, ms || POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    schedule();
  });
})();
