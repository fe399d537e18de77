// What-if previews: post the form being filled in to its preview endpoint and show the answer.
// Without this script the "预览影响" button submits to the same endpoint, which answers the page.
(function () {
  "use strict";
  document.querySelectorAll("[data-whatif-url][data-whatif-form]").forEach(function (panel) {
    var form = document.getElementById(panel.getAttribute("data-whatif-form"));
    var body = panel.querySelector("[data-whatif-body]");
    if (!form || !body) return;
    var url = panel.getAttribute("data-whatif-url");
    var pending = null;
    var shown = false;

    function preview() {
      pending = null;
      fetch(url, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          body.innerHTML = html;
          shown = true;
        })
        .catch(function () { /* the button still works without the script */ });
    }

    form.querySelectorAll("[data-whatif-button]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        preview();
      });
    });
    form.addEventListener("change", function () {
      if (!shown && !panel.closest("[data-whatif-live]")) return;
      if (pending) window.clearTimeout(pending);
      pending = window.setTimeout(preview, 250);
    });
  });
})();
