// The back-office's names for the boxes Django's admin leaves unnamed (RGAA 11.1, WCAG 1.3.1
// and 4.1.2): the rows "Add another" copies, and the autocomplete boxes (Select2). Loaded on
// every back-office form by ScopedAdmin.Media.
"use strict";
{
  // A row added by "Add another" is a copy of the hidden template row, whose labels say
  // "new row" (admin/edit_inline/tabular.html). Django's inlines.js numbers the copy's ids
  // and `for`s, not texts: each label takes its row's number from its `for`
  // (id_<prefix>-<index>-<field>), through its `data-row-label` text.
  const numberRows = (group) => {
    const start = `id_${group.id.replace(/-group$/, "")}-`;
    group.querySelectorAll("label[data-row-label]").forEach((label) => {
      if (!label.htmlFor.startsWith(start)) return;
      const index = parseInt(label.htmlFor.slice(start.length), 10);
      if (Number.isNaN(index)) return; // the template row itself: "new row"
      label.textContent = label.dataset.rowLabel.replace("{number}", String(index + 1));
    });
  };

  // Select2 draws its own box after the <select>, named only by the chosen value (nothing
  // when empty) and, for several values, with a search box of no name. Both take the
  // <select>'s label; the dropdown's search box, drawn when opened, its text.
  const labelOf = (select) => {
    const label = select && select.labels && select.labels[0];
    if (!label) return null;
    if (!label.id) label.id = `${select.id}_label`;
    return label;
  };
  const nameAutocomplete = (container) => {
    const select = container.previousElementSibling;
    const selection = container.querySelector(".select2-selection");
    const label = select && select.tagName === "SELECT" && labelOf(select);
    if (!label || !selection) return;
    const rendered = selection.querySelector(".select2-selection__rendered");
    if (selection.classList.contains("select2-selection--single") && rendered && rendered.id) {
      rendered.setAttribute("aria-labelledby", label.id);
      selection.setAttribute("aria-labelledby", `${label.id} ${rendered.id}`);
    } else {
      selection.setAttribute("aria-labelledby", label.id);
      const search = selection.querySelector(".select2-search__field");
      if (search) search.setAttribute("aria-labelledby", label.id);
    }
  };
  const nameDropdownSearch = (field) => {
    // Its results list is "select2-<id of the select>-results" (set when it opens).
    const match = /^select2-(.+)-results$/.exec(field.getAttribute("aria-controls") || "");
    const label = match && labelOf(document.getElementById(match[1]));
    if (label) field.setAttribute("aria-label", label.textContent.trim());
  };
  // The two-list picker (filter_horizontal, Django's SelectFilter2.js) puts an aria-label
  // on the magnifier <span> of each filter box's label, which ARIA prohibits on an element
  // of no role (ARIA 1.2 5.2.8.6, axe's aria-prohibited-attr): as an image, it keeps its
  // text, and the filter box's name ("Filter" and the hint) stays what Django meant.
  const nameFilterIcons = (root) => {
    root.querySelectorAll(".search-label-icon[aria-label]:not([role])").forEach((icon) => {
      icon.setAttribute("role", "img");
    });
  };
  const nameAll = (root) => {
    nameFilterIcons(root);
    root.querySelectorAll(".select2-container").forEach(nameAutocomplete);
    root.querySelectorAll(".select2-search--dropdown .select2-search__field").forEach(nameDropdownSearch);
  };

  document.addEventListener("DOMContentLoaded", () => {
    nameAll(document);
    // Select2 draws its boxes when Django's scripts start it, on load and for each copied
    // row, in whatever order the scripts run: name them when they appear.
    new MutationObserver(() => nameAll(document)).observe(document.body, { childList: true, subtree: true });
  });
  document.addEventListener("formset:added", (event) => {
    const group = event.target.closest(".js-inline-admin-formset");
    if (group) numberRows(group);
  });
  // Django renumbers the rows after a removal, once its event is sent: number them after.
  document.addEventListener("formset:removed", (event) => {
    setTimeout(() => {
      const group = document.getElementById(`${event.detail.formsetName}-group`);
      if (group) {
        numberRows(group);
        nameAll(group);
      }
    });
  });
}
