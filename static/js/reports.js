// The printed monthly report: its "打印" button opens the browser's print dialog.
(function () {
  "use strict";
  const button = document.getElementById("report-print-button");
  if (button) {
    button.addEventListener("click", () => window.print());
  }
})();
