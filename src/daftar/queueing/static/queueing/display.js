/* Waiting-room display: every 3 seconds, read display.json and redraw the called numbers and the
   waiting counts in place (no page reload, no inline script: the CSP forbids it). */
(function () {
  "use strict";

  var PERIOD_MS = 3000;
  var PERSIAN = "۰۱۲۳۴۵۶۷۸۹";
  var body = document.body;
  var feed = body.getAttribute("data-queue-feed");
  if (!feed || !window.fetch) { return; }
  var persian = body.getAttribute("data-persian-digits") === "1";
  var words = {
    counter: body.getAttribute("data-word-counter") || "Counter",
    minutes: body.getAttribute("data-word-minutes") || "min",
    none: body.getAttribute("data-word-none") || ""
  };
  var lastTop = null;

  function digits(value) {
    var text = String(value);
    return persian ? text.replace(/[0-9]/g, function (d) { return PERSIAN.charAt(Number(d)); }) : text;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function calledItem(line, newest) {
    var item = element("li", "called" + (newest ? " newest" : ""));
    item.setAttribute("data-ticket", line.label);
    item.setAttribute("data-at", line.at);
    var label = element("bdi", "called-label", line.label);
    label.setAttribute("dir", "ltr");
    var arrow = element("span", "called-arrow", "←");
    arrow.setAttribute("aria-hidden", "true");
    var counter = element("span", "called-counter", words.counter + " ");
    counter.appendChild(element("b", "", digits(line.counter)));
    item.appendChild(label);
    item.appendChild(arrow);
    item.appendChild(counter);
    return item;
  }

  function renderCalled(called) {
    var list = document.querySelector("[data-called]");
    if (!list) { return; }
    var items = called.map(function (line, index) { return calledItem(line, index === 0); });
    if (!items.length) { items = [element("li", "called-none", words.none)]; }
    list.replaceChildren.apply(list, items);
    var top = called.length ? called[0].label + "@" + called[0].at : null;
    if (top !== null && top !== lastTop && items[0]) {
      items[0].classList.add("fresh");  // a new call: flash it
    }
    lastTop = top;
  }

  function renderGroups(groups) {
    groups.forEach(function (group) {
      var row = document.querySelector('[data-group="' + CSS.escape(group.code) + '"]');
      if (!row) { return; }
      var waiting = row.querySelector("[data-waiting]");
      var wait = row.querySelector("[data-wait]");
      if (waiting) { waiting.textContent = digits(group.waiting); }
      if (wait) { wait.textContent = digits(group.wait_minutes) + " " + words.minutes; }
    });
  }

  function setOffline(offline) {
    var note = document.querySelector("[data-offline]");
    if (note) { note.hidden = !offline; }
    body.setAttribute("data-state", offline ? "offline" : "live");
  }

  function poll() {
    fetch(feed, { cache: "no-store", credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        renderCalled(data.called || []);
        renderGroups(data.groups || []);
        setOffline(false);
        body.setAttribute("data-polls", String(Number(body.getAttribute("data-polls") || "0") + 1));
      })
      .catch(function () { setOffline(true); })
      .then(function () { window.setTimeout(poll, PERIOD_MS); });
  }

  var first = document.querySelector("[data-called] li[data-ticket]");
  lastTop = first ? first.getAttribute("data-ticket") + "@" + first.getAttribute("data-at") : "";
  window.setTimeout(poll, PERIOD_MS);
}());
