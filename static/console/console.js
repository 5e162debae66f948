// Small enhancements over pages that work without JavaScript: the modal <dialog>,
// the description's character counter, the tenant switcher and delete confirmations.
(function () {
  "use strict";
  const modal = () => document.getElementById("modal");

  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id === "modal-body" && !modal().open) modal().showModal();
  });

  document.addEventListener("click", (event) => {
    const dismiss = event.target.closest("[data-dismiss]");
    if (dismiss && dismiss.closest("dialog")) {
      event.preventDefault();
      dismiss.closest("dialog").close();
    }
  });

  // Characters, not UTF-16 units: Python's len() counts code points too.
  const count = (text) => Array.from(text).length;
  document.addEventListener("input", (event) => {
    const input = event.target;
    if (input.dataset.counter) {
      const counter = document.getElementById(input.dataset.counter);
      const max = Number(input.dataset.countMax);
      const n = count(input.value);
      counter.textContent = n + "/" + max;
      counter.classList.toggle("over", n > max);
    }
    if (input.matches("[data-share]")) showShareSum(input.form);
  });

  function showShareSum(form) {
    const out = form.querySelector("#share-sum");
    if (!out) return;
    let sum = 0;
    form.querySelectorAll("[data-share]").forEach((i) => { sum += Number(i.value) || 0; });
    out.textContent = "Σ " + sum + "%";
    out.classList.toggle("over", sum !== 100);
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
  });

  document.addEventListener("submit", (event) => {
    const message = event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
