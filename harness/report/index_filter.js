(function () {
  var box = document.getElementById("closer-look-only");
  if (!box) { return; }
  var apply = function () {
    document.querySelectorAll("#index tbody tr").forEach(function (row) {
      row.hidden = box.checked && row.dataset.closerLook !== "yes";
    });
  };
  box.addEventListener("change", function () {
    apply();
    if (box.checked) { location.hash = "closer-look"; }
    else if (location.hash === "#closer-look") { location.hash = ""; }
  });
  // index.html#closer-look opens with the filter on: a link to share with the hiring team
  box.checked = location.hash === "#closer-look";
  apply();
})();
