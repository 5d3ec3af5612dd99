// The desk's bulk assignment (servicedesk/desk.html): says how many tickets are ticked, in a
// status region that screen readers announce at each tick (WCAG 4.1.3, RGAA 7.5). A
// progressive enhancement: without this file the form is sent and checked the same.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-bulk]");
  const status = form && form.querySelector("[data-bulk-count]");
  if (!status) return;
  const boxes = form.querySelectorAll("input[type=checkbox][name='bulk-tickets']");
  const say = () => {
    let ticked = 0;
    boxes.forEach((box) => { if (box.checked) ticked += 1; });
    const { none, one, many } = status.dataset;
    status.textContent = ticked === 0 ? none : ticked === 1 ? one : many.replace("{n}", String(ticked));
  };
  // Shown once filled: the browser may have kept ticks (back button, reload).
  say();
  status.hidden = false;
  form.addEventListener("change", (event) => {
    if (event.target.name === "bulk-tickets") say();
  });
});
