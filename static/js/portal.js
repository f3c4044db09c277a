// Behaviour every page may use, wired from data attributes because the CSP allows no inline script.
(function () {
  "use strict";
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-print]")) {
      window.print();
    }
  });
})();
