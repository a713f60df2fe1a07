(function () {
  "use strict";
  // Long cells: capped by CSS once the script runs; the button shows the whole cell.
  document.documentElement.classList.add("js");
  document.addEventListener("click", function (event) {
    var button = event.target;
    if (!button.classList || !button.classList.contains("more")) { return; }
    var open = button.parentNode.classList.toggle("open");
    button.textContent = open ? "show less" : "show all";
  });
  var table = document.getElementById("items-table");
  if (!table) { return; }
  // The table shows PAGE matching rows at a time: filtering 10,000 rows then touches a few
  // hundred rows, and the browser lays out only those.
  var PAGE = 100;  // report.css hides rows after the first 100 until this script runs
  var controls = document.getElementById("controls");
  var severity = document.getElementById("f-severity");
  var outcome = document.getElementById("f-outcome");
  var section = document.getElementById("f-section");
  var search = document.getElementById("f-search");
  var count = document.getElementById("f-count");
  var paging = document.getElementById("f-page");
  var empty = document.getElementById("f-empty");
  var trs = table.tBodies[0].rows;
  var total = trs.length;
  var rows = new Array(total);
  var shown = [];
  var matches = [];
  var i;
  for (i = 0; i < total; i += 1) {
    var cells = trs[i].cells;
    rows[i] = {
      row: trs[i],
      outcome: cells[0].textContent,
      severity: cells[1].textContent,
      section: cells[4].textContent,
      notMet: trs[i].classList.contains("nm"),
      text: null
    };
    matches.push(i);
    if (i < PAGE) { shown.push(i); } else { trs[i].hidden = true; }
  }
  table.classList.remove("paged");  // from now on the script decides which rows show
  var limit = PAGE;
  function text(r) {
    if (r.text === null) { r.text = r.row.textContent.toLowerCase(); }
    return r.text;
  }
  function match() {
    var s = severity.value, o = outcome.value, c = section.value;
    var terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var found = [];
    for (var n = 0; n < total; n += 1) {
      var r = rows[n];
      if (s && r.severity !== s) { continue; }
      if (o && (o === "not-met" ? !r.notMet : r.outcome !== o)) { continue; }
      if (c && r.section !== c) { continue; }
      var t = terms.length ? text(r) : "";
      if (terms.every(function (term) { return t.indexOf(term) !== -1; })) { found.push(n); }
    }
    return found;
  }
  function show() {
    var next = matches.slice(0, limit);
    var keep = new Uint8Array(total);
    next.forEach(function (n) { keep[n] = 1; });
    shown.forEach(function (n) { if (!keep[n]) { rows[n].row.hidden = true; } });
    next.forEach(function (n) { if (rows[n].row.hidden) { rows[n].row.hidden = false; } });
    shown = next;
    if (next.length === matches.length) {
      count.textContent = matches.length + " of " + total + " items shown";
    } else {
      count.textContent = matches.length + " of " + total + " items match; the first " +
        next.length + " are shown";
    }
    paging.hidden = next.length === matches.length;
    empty.hidden = matches.length !== 0;
  }
  function apply() {
    matches = match();
    limit = PAGE;
    show();
  }
  [severity, outcome, section].forEach(function (el) { el.addEventListener("change", apply); });
  search.addEventListener("input", apply);
  document.getElementById("f-next").addEventListener("click", function () {
    limit += PAGE;
    show();
  });
  document.getElementById("f-all").addEventListener("click", function () {
    limit = total;
    show();
  });
  window.addEventListener("beforeprint", function () {  // paper gets every matching row
    limit = total;
    show();
  });
  controls.hidden = false;
  show();
}());
