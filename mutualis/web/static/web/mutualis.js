// Progressive enhancements only: every page works without this file.
// Filter panels are open on wide screens, folded on phones so results come first.
document.addEventListener("DOMContentLoaded", () => {
  if (window.matchMedia("(min-width: 40rem)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach((details) => { details.open = true; });
  }
});
