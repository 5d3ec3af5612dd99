// Reply templates on the ticket page (servicedesk/includes/reply_templates.html), beside the
// public reply and the internal note: the chosen template's text, already filled for this
// ticket by the server, goes where the cursor was in that box, replacing only what was
// selected there; what was typed stays. The box then has the focus, the cursor after the
// text, and a status region says what happened (WCAG 4.1.3, RGAA 7.5). A progressive
// enhancement: without this file the insert button posts the one form holding both boxes,
// and the server shows the page again with what was typed in both, the template after the
// text of its own box. Nothing is sent either way.
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("reply-template-texts");
  if (!data) return;
  const texts = JSON.parse(data.textContent);
  document.querySelectorAll("[data-reply-templates]").forEach((picker) => {
    const box = document.getElementById(picker.dataset.box);
    const choice = picker.querySelector("select");
    const button = picker.querySelector("[data-reply-template-insert]");
    const status = picker.querySelector("[data-reply-template-status]");
    if (!box || !choice || !button) return;
    // A box the agent never went into has no cursor of its own (browsers put it at the
    // start): the text goes after what the box holds.
    let visited = false;
    box.addEventListener("focus", () => {
      visited = true;
    });
    // Filled by the server (a template inserted before this file ran) and focused: the
    // cursor goes after the text, where the agent goes on writing.
    if (box === document.activeElement) {
      box.setSelectionRange(box.value.length, box.value.length);
      visited = true;
    }
    // A click is also what Enter or Space on the button gives.
    button.addEventListener("click", (event) => {
      const text = texts[choice.value];
      if (text === undefined) return; // the server does it
      event.preventDefault();
      const start = visited ? box.selectionStart : box.value.length;
      const end = visited ? box.selectionEnd : box.value.length;
      box.setRangeText(text, start, end, "end");
      box.dispatchEvent(new Event("input", { bubbles: true }));
      box.focus();
      const title = choice.options[choice.selectedIndex].text;
      status.textContent = (status.dataset.announcement || "").replace("{title}", title);
    });
  });
});
