// Progressive enhancements only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Filter panels are open on wide screens, folded on phones so results come first.
  if (window.matchMedia("(min-width: 40rem)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach((details) => { details.open = true; });
  }

  // A table wider than the screen scrolls sideways in its box: the box then takes the
  // keyboard's focus, so that the arrow keys scroll it (WCAG 2.1.1), and is a region named
  // after the table's caption. A box that fits loses both (no useless tab stop).
  const boxes = document.querySelectorAll(".table-scroll");
  const scrollable = () => {
    boxes.forEach((box) => {
      if (box.scrollWidth > box.clientWidth) {
        if (box.getAttribute("tabindex") === "0") return;
        const caption = box.querySelector("caption");
        const name = caption ? caption.textContent.trim().replace(/\s+/g, " ") : "";
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", name || document.title);
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  };
  scrollable();
  let pending = 0;
  const later = () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(scrollable);
  };
  window.addEventListener("resize", later);
  // A table inside a folded <details> (a chart's data) has no width until it is opened.
  document.addEventListener("toggle", later, true);

  // A chart's bar opens its tickets when clicked (insights/charts.py: the same links are in
  // the chart's data table for the keyboard and screen readers).
  document.querySelectorAll(".chart-svg [data-href]").forEach((bar) => {
    bar.addEventListener("click", () => { window.location.assign(bar.dataset.href); });
  });
});
