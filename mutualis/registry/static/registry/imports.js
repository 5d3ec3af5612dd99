// The imports' long steps (registry/imports/new.html, detail.html): checking or importing a
// file of many thousand rows takes up to a minute, with nothing on screen but the browser's
// own spinner. Once a form is sent, its status region says what is happening (WCAG 4.1.3,
// RGAA 7.5) and a second click sends nothing: it would check the file twice, or try to
// import it twice. A progressive enhancement: without this file the forms work the same.
document.addEventListener("DOMContentLoaded", () => {
  const forms = document.querySelectorAll("form[data-busy]");
  forms.forEach((form) => {
    const status = form.querySelector("[data-busy-status]");
    const button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", (event) => {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      // aria-disabled, not disabled: the button keeps the keyboard's focus.
      if (button) button.setAttribute("aria-disabled", "true");
      if (status) status.textContent = form.dataset.busy;
    });
  });
  // Back to this page from the next one, as the browser kept it: the form can be sent again.
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    forms.forEach((form) => {
      delete form.dataset.sent;
      const status = form.querySelector("[data-busy-status]");
      const button = form.querySelector("button[type=submit]");
      if (status) status.textContent = "";
      if (button) button.removeAttribute("aria-disabled");
    });
  });
});
