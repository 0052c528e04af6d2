/* Daftar — small conveniences only; every page works without this file (strict CSP: no inline JS). */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    // Print buttons are hidden until there is a script to run them (the browser's own Print works anyway).
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });

    // A second click on a form that files or acts is ignored while the first is on its way.
    // The server is idempotent anyway (idempotency key, expected version); this only spares a round trip.
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.sent === "1") { event.preventDefault(); return; }
        form.dataset.sent = "1";
        form.setAttribute("aria-busy", "true");
      });
    });
  });
}());
