// The desk's only script: follow a running job until it finishes, refuse oversize uploads before
// sending them, and let the keyboard reach a table that scrolls in its own box. Every page works
// without it. A page never reloads itself: when its job finishes, the link in its live region is
// shown ("Finished: view the result"), so a screen reader hears it and nothing moves the reader's
// place on the page (audit 12, #9; WCAG 3.2.5, 4.1.3).
(function () {
  "use strict";
  // Ask for each job's status every 2 s; ``show`` gets each answer of a single job, and the page's
  // ``a.ready`` link inside ``region`` is shown once every job has finished.
  function follow(ids, region, show) {
    var timer;
    function poll() {
      var pending = ids.length, finished = 0;
      ids.forEach(function (id) {
        fetch("/desk/jobs/" + id + "/status", { credentials: "same-origin", cache: "no-store" })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (s) {
            if (s && s.finished) { finished += 1; }
            if (s && ids.length === 1) { show(s); }
            pending -= 1;
            if (pending === 0 && finished === ids.length) {
              window.clearInterval(timer);
              var link = region && region.querySelector("a.ready");
              if (link) { link.hidden = false; link.addEventListener("click", reopen); }
            }
          })
          .catch(function () { pending -= 1; });
      });
    }
    poll();
    timer = window.setInterval(poll, 2000);
  }
  // A link to this very page (and a section of it) would only scroll: loaded again, on the reader's click.
  function reopen(event) {
    var link = event.currentTarget;
    if (link.pathname === window.location.pathname && link.search === window.location.search) {
      event.preventDefault();
      window.history.replaceState(null, "", link.href);
      window.location.reload();
    }
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
      follow([progress.dataset.job], document.getElementById("job-live"), function (s) {
        var status = document.getElementById("job-status");
        var elapsed = document.getElementById("elapsed");
        // Written only when it changes: the status is in a live region, read out on each change.
        if (status && status.textContent !== s.status) {
          status.textContent = s.status;
          status.className = "status status-" + s.status;
        }
        if (elapsed && s.elapsed_s !== null) {
          elapsed.textContent = elapsed.dataset.words.replace("{seconds}", Math.round(s.elapsed_s));
        }
      });
    } else if (progress && progress.dataset.jobs) {
      follow(progress.dataset.jobs.split(","), progress, function () {});
    }
    var note = document.querySelector("[data-wait-job]");
    if (note) { follow([note.dataset.waitJob], note, function () {}); }
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
          // The sentence is the wording module's (the form's data-too-large); only the figures are filled in here.
          message.textContent = form.dataset.tooLarge
            .replace("{size}", (input.files[0].size / 1048576).toFixed(1))
            .replace("{limit}", (limit / 1048576).toFixed(1));
          input.setAttribute("aria-invalid", "true");
          input.focus();
        }
      });
    }
  });
})();
