"""What a browser without JavaScript posts when a button of a page is pressed: the button's
form (its `form` attribute, else the form around it), every named control of that form
wherever it sits in the page (HTML's form owner, `form="..."`), the button's `formaction`,
and only the button pressed. Page tests post that, rather than data written by hand, so
that they fail when a box is not in the form its buttons submit.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any


@dataclass
class _Control:
    tag: str
    attrs: dict[str, str]
    owner: str | None
    text: str = ""  # a textarea's text, a button's label
    options: list[tuple[str, bool]] = field(default_factory=list)  # a select's (value, selected)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, dict[str, str]] = {}
        self.controls: list[_Control] = []
        self._form: str | None = None
        self._open: _Control | None = None  # the textarea, button or select being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = found.get("id") or f"form-{len(self.forms)}"
            self.forms[self._form] = found
        elif tag in ("input", "textarea", "select", "button"):
            control = _Control(tag, found, found.get("form") or self._form)
            self.controls.append(control)
            if tag != "input":
                self._open = control
        elif tag == "option" and self._open is not None and self._open.tag == "select":
            self._open.options.append((found.get("value", ""), "selected" in found))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif self._open is not None and tag == self._open.tag:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None and self._open.tag in ("textarea", "button"):
            self._open.text += data


def submission(page: str, button: str, typed: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """The URL and the data a browser posts when the button labelled `button` is pressed,
    after the person typed or chose `typed` ({control's name: value}; a file box's files)."""
    typed = typed or {}
    parsed = _Page()
    parsed.feed(page)
    pressed = [c for c in parsed.controls if c.tag == "button" and c.text.strip() == button]
    assert len(pressed) == 1, f"{len(pressed)} buttons “{button}”"
    clicked = pressed[0]
    assert clicked.owner is not None, f"“{button}” is in no form"
    form = parsed.forms[clicked.owner]
    data: dict[str, Any] = {}
    for control in parsed.controls:
        name = control.attrs.get("name")
        if control.owner != clicked.owner or not name or "disabled" in control.attrs:
            continue
        kind = control.attrs.get("type", "")
        if control.tag == "button" or kind == "submit":
            if control is clicked:
                data[name] = control.attrs.get("value", "")
        elif control.tag == "textarea":
            # HTML drops the newline right after <textarea>, as Django writes one there.
            data[name] = typed.get(name, control.text.removeprefix("\n"))
        elif control.tag == "select":
            chosen = [v for v, selected in control.options if selected] or [v for v, _ in control.options[:1]]
            data[name] = typed.get(name, chosen[0] if chosen else "")
        elif kind == "file":
            if name in typed:
                data[name] = typed[name]
        elif kind not in ("checkbox", "radio") or "checked" in control.attrs:
            data[name] = typed.get(name, control.attrs.get("value", ""))
    return clicked.attrs.get("formaction") or form.get("action", ""), data


def textarea_text(page: str, name: str) -> str:
    """The text of the page's textarea `name` as a browser shows and posts it: unescaped,
    the line break that may follow the start tag dropped (HTML's parsing rules), line
    breaks as "\n"."""
    start = page.index(f'name="{name}"')
    opened = page.index(">", start) + 1
    text = html.unescape(page[opened : page.index("</textarea>", opened)]).removeprefix("\n")
    return text.replace("\r\n", "\n")


def press(client: Any, page: str, button: str, typed: dict[str, Any] | None = None) -> Any:
    """Post, with the test `client`, what a browser posts when `button` of `page` is pressed."""
    url, data = submission(page, button, typed)
    return client.post(url, data)
