// Pages that show a worker's progress (finance exports, sales imports) reload themselves every two
// seconds while the work runs, instead of a <meta http-equiv="refresh"> (a timed refresh the reader
// cannot stop, WCAG 2.2.1). Without JavaScript the page offers a "Refresh" link instead.
(function () {
  var marker = document.querySelector("[data-refresh-while-working]");
  if (marker) {
    window.setTimeout(function () { window.location.reload(); }, 2000);
  }
})();
