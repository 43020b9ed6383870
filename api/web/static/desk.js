// The desk's only script: refresh a running job's page until it finishes, refuse oversize
// uploads before sending them, and let the keyboard reach a table that scrolls in its own box.
// Every page works without it.
(function () {
  "use strict";
  function poll(ids, done) {
    var pending = ids.length, finished = 0;
    ids.forEach(function (id) {
      fetch("/desk/jobs/" + id + "/status", { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (s && s.finished) { finished += 1; }
          if (s && ids.length === 1) { done(s); }
          pending -= 1;
          if (pending === 0 && finished === ids.length) { window.location.reload(); }
        })
        .catch(function () { pending -= 1; });
    });
  }
  function every(ids, show) {
    poll(ids, show);
    window.setInterval(function () { poll(ids, show); }, 2000);
  }
  // On a narrow screen a wide table scrolls sideways inside its own box (desk.css): such a box
  // joins the tab order so it can be scrolled by keyboard; one that fits does not.
  function reachable() {
    document.querySelectorAll("table").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) { table.setAttribute("tabindex", "0"); }
      else { table.removeAttribute("tabindex"); }
    });
  }
  window.addEventListener("resize", reachable);
  document.addEventListener("toggle", reachable, true);  // a table shown by opening its <details>
  document.addEventListener("DOMContentLoaded", function () {
    reachable();
    var progress = document.getElementById("progress");
    if (progress && progress.dataset.job) {
      every([progress.dataset.job], function (s) {
        var status = document.getElementById("job-status");
        var elapsed = document.getElementById("elapsed");
        if (status) { status.textContent = s.status; }
        if (elapsed && s.elapsed_s !== null) { elapsed.textContent = "Running for " + Math.round(s.elapsed_s) + " s."; }
      });
    } else if (progress && progress.dataset.jobs) {
      every(progress.dataset.jobs.split(","), function () {});
    }
    var note = document.querySelector("[data-wait-job]");
    if (note) { every([note.dataset.waitJob], function () {}); }
    var form = document.getElementById("check-form");
    function choose(fieldId, radioId) {
      var field = document.getElementById(fieldId), radio = document.getElementById(radioId);
      if (field && radio) { field.addEventListener("change", function () { if (!radio.disabled) { radio.checked = true; } }); }
    }
    choose("file", "source-upload");
    choose("scenario", "source-stored");
    var amount = document.getElementById("offer_amount"), asWritten = document.getElementById("offer-scenario");
    if (amount && asWritten) {
      amount.addEventListener("change", function () {
        if (asWritten.checked && amount.value.trim()) { document.getElementById("offer-pooled").checked = true; }
      });
    }
    if (form) {
      form.addEventListener("submit", function (event) {
        var input = document.getElementById("file");
        var message = document.getElementById("size-message");
        var limit = parseInt(form.dataset.maxBytes, 10);
        var upload = document.getElementById("source-upload");
        if (upload && upload.checked && input && input.files && input.files[0] && input.files[0].size > limit) {
          event.preventDefault();
          message.hidden = false;
          message.textContent = "The file is " + (input.files[0].size / 1048576).toFixed(1) + " MB; this service accepts at most " +
            (limit / 1048576).toFixed(1) + " MB. Nothing was sent. Upload a zip of CSV files, or ask your administrator to raise the limit.";
          input.setAttribute("aria-invalid", "true");
          input.focus();
        }
      });
    }
  });
})();
