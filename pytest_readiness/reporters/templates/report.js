(function () {
  "use strict";
  var table = document.getElementById("items-table");
  if (!table) { return; }
  var controls = document.getElementById("controls");
  var severity = document.getElementById("f-severity");
  var outcome = document.getElementById("f-outcome");
  var section = document.getElementById("f-section");
  var search = document.getElementById("f-search");
  var count = document.getElementById("f-count");
  var empty = document.getElementById("f-empty");
  var rows = Array.prototype.slice.call(table.tBodies[0].rows).map(function (row) {
    return {
      row: row,
      outcome: row.cells[0].textContent,
      severity: row.cells[1].textContent,
      section: row.cells[4].textContent,
      text: row.textContent.toLowerCase()
    };
  });
  function apply() {
    var s = severity.value, o = outcome.value, c = section.value;
    var terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (r) {
      var ok = (!s || r.severity === s) && (!o || r.outcome === o) && (!c || r.section === c) &&
        terms.every(function (t) { return r.text.indexOf(t) !== -1; });
      if (r.row.hidden === ok) { r.row.hidden = !ok; }
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " items shown";
    empty.hidden = shown !== 0;
  }
  [severity, outcome, section].forEach(function (el) { el.addEventListener("change", apply); });
  search.addEventListener("input", apply);
  controls.hidden = false;
  apply();
}());
