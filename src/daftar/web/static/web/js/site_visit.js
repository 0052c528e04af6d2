/* Daftar — the site-visit form: «my current location» fills latitude and longitude from the phone.
   Optional: the form works without it (the inspector types the point). CSP-safe: no inline script. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    var button = document.querySelector("[data-geolocate]");
    var status = document.querySelector("[data-geolocate-status]");
    var latitude = document.getElementById("id_latitude");
    var longitude = document.getElementById("id_longitude");
    if (!button || !latitude || !longitude || !("geolocation" in navigator)) { return; }
    button.hidden = false;

    function say(text) { if (status) { status.textContent = text || ""; } }

    button.addEventListener("click", function () {
      button.disabled = true;
      say(button.dataset.locating);
      navigator.geolocation.getCurrentPosition(
        function (position) {
          latitude.value = position.coords.latitude.toFixed(6);
          longitude.value = position.coords.longitude.toFixed(6);
          button.disabled = false;
          say(button.dataset.found);
        },
        function () {
          button.disabled = false;
          say(button.dataset.failed);
        },
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
      );
    });
  });
}());
