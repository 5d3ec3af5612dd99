// The desk's bulk assignment (servicedesk/desk.html): says how many tickets are ticked, in a
// status region that screen readers announce at each tick (WCAG 4.1.3, RGAA 7.5). A
// progressive enhancement: without this file the form is sent and checked the same.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-bulk]");
  const status = form && form.querySelector("[data-bulk-count]");
  if (!status) return;
  const boxes = form.querySelectorAll("input[type=checkbox][name='bulk-tickets']");
  // On a phone the form is folded (desk.html): its summary repeats the count, in sight, and
  // a status region outside it says the count, since a folded one is not read.
  const folded = form.querySelector("details[data-bulk-box]");
  const tally = folded && folded.querySelector("[data-bulk-tally]");
  const foldedStatus = form.querySelector("[data-bulk-folded-count]");
  const say = () => {
    let ticked = 0;
    boxes.forEach((box) => { if (box.checked) ticked += 1; });
    const { none, one, many } = status.dataset;
    status.textContent = ticked === 0 ? none : ticked === 1 ? one : many.replace("{n}", String(ticked));
    if (tally) tally.textContent = ticked === 0 ? "" : `(${status.textContent.replace(/\.$/, "")})`;
  };
  // Sent folded (desk.html), so that a phone shows it folded from the first paint. Opened on
  // a wide screen (the same width as web/mutualis.css's), where the style sheet already draws
  // its content: its state then says what is shown, for a browser without ::details-content
  // too. Opened on a phone when the page was led to the form (back from an assignment, its
  // message beside it); the link after the table unfolds it, whatever the browser does with
  // a fragment inside a closed <details>.
  if (folded) {
    if (window.matchMedia("(min-width: 40.01rem)").matches || window.location.hash === "#bulk") folded.open = true;
    form.querySelectorAll("a[href='#bulk']").forEach((link) => {
      link.addEventListener("click", () => { folded.open = true; });
    });
  }
  // Shown once filled: the browser may have kept ticks (back button, reload).
  say();
  status.hidden = false;
  form.addEventListener("change", (event) => {
    if (event.target.name !== "bulk-tickets") return;
    say();
    // Said there only while folded: open, the form's own region says it (not twice).
    if (foldedStatus) foldedStatus.textContent = folded && !folded.open ? status.textContent : "";
  });
});
