// Reply templates on the ticket page (servicedesk/includes/reply_templates.html): the chosen
// template's text, already filled for this ticket by the server, goes where the cursor was
// in the chosen box, replacing only what was selected there; what was typed stays. The box
// then has the focus, the cursor after the text, and a status region says what happened
// (WCAG 4.1.3, RGAA 7.5). A progressive enhancement: without this file the form asks the
// server, which shows the page again with the box filled in. Nothing is sent either way.
document.addEventListener("DOMContentLoaded", () => {
  const picker = document.querySelector("form[data-reply-templates]");
  const data = document.getElementById("reply-template-texts");
  if (!picker || !data) return;
  const texts = JSON.parse(data.textContent);
  const status = picker.querySelector("[data-reply-template-status]");
  const boxes = { reply: document.getElementById("id_reply-body"), note: document.getElementById("id_note-body") };
  // A box the agent never went into has no cursor of its own (browsers put it at the start):
  // the text goes after what the box holds.
  const visited = new WeakSet();
  Object.values(boxes).forEach((box) => {
    if (!box) return;
    box.addEventListener("focus", () => visited.add(box));
    // Filled by the server (a template chosen before this file ran) and focused: the cursor
    // goes after the text, where the agent goes on writing.
    if (box === document.activeElement) {
      box.setSelectionRange(box.value.length, box.value.length);
      visited.add(box);
    }
  });
  picker.addEventListener("submit", (event) => {
    const choice = picker.elements.reply_template;
    const into = picker.elements.into ? picker.elements.into.value : "reply";
    const box = boxes[into];
    const text = texts[choice.value];
    if (!box || text === undefined) return; // the server does it
    event.preventDefault();
    const start = visited.has(box) ? box.selectionStart : box.value.length;
    const end = visited.has(box) ? box.selectionEnd : box.value.length;
    box.setRangeText(text, start, end, "end");
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.focus();
    const title = choice.options[choice.selectedIndex].text;
    status.textContent = (status.dataset[into] || "").replace("{title}", title);
  });
});
