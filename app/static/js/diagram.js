/* The case diagram: the BPMN the case runs on (vendored bpmn-js viewer, no network), with the
   completed and current activities marked. Data comes from a JSON script element on the page. */
(function () {
  "use strict";
  var box = document.querySelector(".diagram[data-source]");
  if (!box) return;
  function fail() {
    box.textContent = box.getAttribute("data-error") || "";
  }
  if (!window.BpmnJS) return fail();
  var data;
  try {
    data = JSON.parse(document.getElementById(box.getAttribute("data-source")).textContent);
  } catch (e) {
    return fail();
  }
  var viewer = new window.BpmnJS({ container: box });
  viewer.importXML(data.bpmn).then(function () {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    canvas.zoom("fit-viewport");
    // A sub-process spans the whole case and a boundary event only waits (for a deadline or
    // a withdrawal): marking them would hide the steps themselves.
    function mark(ids, marker, skip) {
      (ids || []).forEach(function (id) {
        var el = registry.get(id);
        if (el && skip.indexOf(el.type) < 0) canvas.addMarker(id, marker);
      });
    }
    mark(data.completed, "completed", ["bpmn:SubProcess"]);
    mark(data.current, "current", ["bpmn:SubProcess", "bpmn:BoundaryEvent"]);
    box.setAttribute("data-ready", "true");
  }).catch(fail);
})();
