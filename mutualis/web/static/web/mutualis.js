// Progressive enhancements only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Filter panels are open on wide screens, folded on phones so results come first. Sent
  // open (a plain disclosure without scripts), a phone draws them folded from the first
  // paint (mutualis.css); folded here, their state then says what is shown, and without the
  // attribute the style sheet leaves them to their summary.
  const wide = window.matchMedia("(min-width: 40rem)").matches;
  document.querySelectorAll("details[data-fold-narrow]").forEach((details) => {
    if (!wide) details.open = false;
    details.removeAttribute("data-fold-narrow");
  });

  // A table wider than the screen scrolls sideways in its box: the box then takes the
  // keyboard's focus, so that the arrow keys scroll it (WCAG 2.1.1), and is a region named
  // after the table's caption. A box that fits loses both (no useless tab stop). A box named
  // in the page (a chart's, the map's) keeps that name for when it scrolls again. A table
  // without links in its rows that scrolls on a phone is sent as a region already: without
  // scripts, nothing in it would take the focus (includes/fleet_table.html).
  const boxes = document.querySelectorAll(".table-scroll");
  boxes.forEach((box) => {
    if (box.hasAttribute("aria-label")) box.dataset.name = box.getAttribute("aria-label");
  });
  const scrollable = () => {
    boxes.forEach((box) => {
      if (box.scrollWidth > box.clientWidth) {
        if (box.getAttribute("tabindex") === "0") return;
        const caption = box.querySelector("caption");
        const name = box.dataset.name || (caption ? caption.textContent.trim().replace(/\s+/g, " ") : "");
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

  // A form sent back with errors: its summary takes the focus, so that it is read first, and
  // the page's title says so (WCAG 3.3.1, 2.4.2; RGAA 11.10, 8.6). Otherwise, messages
  // after a redirect to a part of the page (a ticket's #handling, #timeline) are moved
  // beside that part and take the focus: at the top of the page they were out of sight.
  // (The focus is given once the page has loaded: the browser's own move to the #fragment
  // comes after this script and would take it back to the page.)
  const focusOnLoad = (element) => {
    const give = () => element.focus();
    if (document.readyState === "complete") give();
    else window.addEventListener("load", () => requestAnimationFrame(give), { once: true });
  };
  // A filter box sent, or its filters cleared: remembered for the page it loads (below).
  const FILTERS_SENT = "mutualis:filters-sent";
  const remember = (url) => {
    try { window.sessionStorage.setItem(FILTERS_SENT, new URL(url, window.location.href).pathname); } catch (e) { /* storage refused: no focus move */ }
  };
  let filtersSent = null;
  try {
    filtersSent = window.sessionStorage.getItem(FILTERS_SENT);
    window.sessionStorage.removeItem(FILTERS_SENT);
  } catch (e) { /* storage refused */ }
  document.querySelectorAll("form.filters").forEach((form) => {
    form.addEventListener("submit", () => remember(form.action));
  });
  document.querySelectorAll("a[data-filters-sent]").forEach((link) => {
    link.addEventListener("click", () => remember(link.href));
  });
  // "Change the filters", under the count: opens the box if folded and puts the keyboard in it.
  document.querySelectorAll("a[data-filters-edit]").forEach((link) => {
    link.addEventListener("click", (event) => {
      const box = document.getElementById("filters");
      const first = box && box.querySelector("form.filters input:not([type=hidden]), form.filters select");
      if (!first) return;
      event.preventDefault();
      box.open = true;
      first.focus();
    });
  });
  const results = document.querySelector("[data-results]");

  const summary = document.querySelector(".error-summary");
  const messages = document.getElementById("messages");
  if (summary) {
    document.title = (summary.dataset.titlePrefix || "") + document.title;
    focusOnLoad(summary);
  } else if (messages && (window.location.hash || messages.querySelector("[role=alert]"))) {
    const target = window.location.hash ? document.getElementById(decodeURIComponent(window.location.hash.slice(1))) : null;
    if (target && target !== messages && !target.contains(messages)) {
      target.parentNode.insertBefore(messages, target);
      focusOnLoad(messages);
    } else if (messages.querySelector("[role=alert]")) {
      focusOnLoad(messages);
    }
  } else if (results && filtersSent === window.location.pathname) {
    // A list reloaded by its filters (sent, reset or cleared): the heading with its count
    // takes the focus, so that a screen reader says at once what the filters found (WCAG
    // 4.1.3, RGAA 7.5) and a phone shows it with the filters in use beside it. A plain visit
    // to the same list, a link or a reload, moves nothing: the title says the count.
    focusOnLoad(results);
  }

  // The list of whom one may act for (base.html) closes as a menu does: Escape gives the
  // focus back to its button; a click or the focus elsewhere closes it.
  const actingFor = document.querySelector("details.acting-for-menu");
  if (actingFor) {
    const close = (refocus) => {
      if (!actingFor.open) return;
      actingFor.open = false;
      if (refocus) actingFor.querySelector("summary").focus();
    };
    actingFor.addEventListener("keydown", (event) => {
      if (event.key === "Escape") close(true);
    });
    document.addEventListener("click", (event) => {
      if (!actingFor.contains(event.target)) close(false);
    });
    actingFor.addEventListener("focusout", (event) => {
      if (event.relatedTarget && !actingFor.contains(event.relatedTarget)) close(false);
    });
  }

  // A chart's bar opens its tickets when clicked (insights/charts.py: the same links are in
  // the chart's data table for the keyboard and screen readers).
  document.querySelectorAll(".chart-svg [data-href]").forEach((bar) => {
    bar.addEventListener("click", () => { window.location.assign(bar.dataset.href); });
  });
});
