// Back-entry of a printed sheet: "全部见面" ticks every row as met here, without a round trip (the button
// still works without JavaScript: the server re-renders the form with every row ticked). Typing in a row ticks
// it, and a second tap on 全部保存 while the first is being sent is ignored (the batch key makes it harmless
// anyway).
(function () {
  "use strict";
  const form = document.querySelector("[data-backfill]");
  if (!form) {
    return;
  }
  const rows = () => form.querySelectorAll(".backfill-row");

  form.addEventListener("click", (event) => {
    const button = event.target.closest("[data-all-met]");
    if (!button) {
      return;
    }
    event.preventDefault();
    const met = button.dataset.allMet;
    rows().forEach((row) => {
      row.querySelector("[data-visited]").checked = true;
      const outcome = row.querySelector(`input[type=radio][value="${met}"]`);
      if (outcome) {
        outcome.checked = true;
      }
      const date = row.querySelector("input[type=date]");
      if (date && !date.value) {
        date.value = date.max;
      }
    });
  });

  form.addEventListener("change", (event) => {
    const row = event.target.closest(".backfill-row");
    if (row && !event.target.matches("[data-visited]")) {
      row.querySelector("[data-visited]").checked = true;
    }
  });

  form.addEventListener("submit", (event) => {
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
  });
  // Coming back to the page from the history must not leave the form locked.
  window.addEventListener("pageshow", () => {
    delete form.dataset.sent;
  });
})();
