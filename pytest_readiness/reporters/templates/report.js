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
  // Rows show when they have the class "on" (the server marks the first page). The table
  // shows a page of matching rows at a time: a filter over 10,000 items changes a few hundred
  // rows, and the browser lays out only those.
  var PAGE = Number(table.getAttribute("data-page"));
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
  var rows = null;
  var matches = [];
  var shown = [];
  var limit = PAGE;
  var n;
  for (n = 0; n < total; n += 1) { matches.push(n); }
  shown = matches.slice(0, PAGE);
  function index() {  // read once, after the first paint or at the first filter
    if (rows !== null) { return rows; }
    rows = new Array(total);
    for (var i = 0; i < total; i += 1) {
      var cells = trs[i].cells;
      rows[i] = {
        row: trs[i],
        outcome: cells[0].textContent,
        severity: cells[1].textContent,
        section: cells[4].textContent,
        notMet: trs[i].classList.contains("nm"),
        text: null
      };
    }
    return rows;
  }
  function text(r) {
    if (r.text === null) { r.text = r.row.textContent.toLowerCase(); }
    return r.text;
  }
  function match() {
    var s = severity.value, o = outcome.value, c = section.value;
    var terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var all = index();
    var found = [];
    for (var i = 0; i < total; i += 1) {
      var r = all[i];
      if (s && r.severity !== s) { continue; }
      if (o && (o === "not-met" ? !r.notMet : r.outcome !== o)) { continue; }
      if (c && r.section !== c) { continue; }
      var t = terms.length ? text(r) : "";
      if (terms.every(function (term) { return t.indexOf(term) !== -1; })) { found.push(i); }
    }
    return found;
  }
  function show() {
    var next = matches.slice(0, limit);
    var keep = new Uint8Array(total);
    next.forEach(function (i) { keep[i] = 1; });
    shown.forEach(function (i) { if (!keep[i]) { trs[i].classList.remove("on"); } });
    next.forEach(function (i) { trs[i].classList.add("on"); });
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
  function showUpTo(rowCount) {
    limit = rowCount;
    show();
  }
  [severity, outcome, section].forEach(function (el) { el.addEventListener("change", apply); });
  search.addEventListener("input", apply);
  document.getElementById("f-next").addEventListener("click", function () {
    showUpTo(limit + PAGE);
  });
  document.getElementById("f-all").addEventListener("click", function () { showUpTo(total); });
  window.addEventListener("beforeprint", function () { showUpTo(total); });  // paper: all matches
  controls.hidden = false;
  show();
  requestAnimationFrame(function () { setTimeout(index, 0); });
}());
