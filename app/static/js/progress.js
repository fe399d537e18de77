/* The progress bars of the classification runs waiting on the admin page: asks for the
   figures every second and reloads the page once a run has ended (its results are then
   listed). Without script the page refreshes itself every 15 seconds. */
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) return;
  var rows = box.querySelectorAll("[data-progress-for]");
  if (!rows.length) return;
  var query = Array.prototype.map
    .call(rows, function (row) {
      return "id=" + encodeURIComponent(row.getAttribute("data-progress-for"));
    })
    .join("&");
  var url = box.getAttribute("data-progress-url") + "?" + query;

  function schedule() {
    window.setTimeout(poll, 1000);
  }

  function show(item) {
    var row = box.querySelector('[data-progress-for="' + item.id + '"]');
    if (!row) return;
    var bar = row.querySelector("progress");
    if (item.total == null) {
      bar.removeAttribute("value");
    } else {
      bar.max = Math.max(item.total, 1);
      bar.value = item.done;
    }
    row.querySelector(".progress-text").textContent = item.text;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (!data) return schedule();
        var ended = data.requests.some(function (item) {
          return item.state !== "queued";
        });
        if (ended) return window.location.reload();
        data.requests.forEach(show);
        schedule();
      })
      .catch(schedule);
  }

  schedule();
})();
