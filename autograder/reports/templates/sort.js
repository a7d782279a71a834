(function () {
  "use strict";
  var live = document.getElementById("sort-status");
  function key(row, column, numeric) {
    var cell = row.cells[column];
    var value = cell ? cell.getAttribute("data-sort") : null;
    if (value === null) { value = cell ? cell.textContent.trim().toLowerCase() : ""; }
    if (!numeric) { return value; }
    return value === "" ? null : Number(value);
  }
  function sortBy(table, head, column) {
    var ascending = head.getAttribute("aria-sort") !== "ascending";
    var numeric = head.hasAttribute("data-numeric");
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
      other.removeAttribute("aria-sort");
    });
    head.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.map.call(body.rows, function (row, index) {
      return {row: row, index: index, key: key(row, column, numeric)};
    });
    rows.sort(function (a, b) {
      if (a.key === b.key) { return a.index - b.index; }
      if (a.key === null) { return 1; }
      if (b.key === null) { return -1; }
      var order = a.key < b.key ? -1 : 1;
      return ascending ? order : -order;
    });
    var fragment = document.createDocumentFragment();
    rows.forEach(function (item) { fragment.appendChild(item.row); });
    body.appendChild(fragment);
    if (live) {
      live.textContent = "Sorted by " + head.textContent.trim() + ", " +
        (ascending ? "ascending" : "descending") + ".";
    }
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (head, column) {
      var button = head.querySelector("button");
      if (button) {
        button.addEventListener("click", function () { sortBy(table, head, column); });
      }
    });
  });
}());
