"""Reading a back-office change page as a browser does: the values its form would send."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from django.test import Client


class _FormValues(HTMLParser):
    """The successful controls of the page's change form (HTML, form submission): inputs
    (checked boxes only), text areas, the selected options of selects."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.values: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._select: tuple[str, list[str], list[str]] | None = None  # name, selected, first

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or "disabled" in a:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.values.setdefault(a["name"], []).append(a.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.values[a["name"]] = [""]
        elif tag == "select" and a.get("name"):
            self._select = (a["name"], [], [])
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select[2].append(value)
            if "selected" in a:
                self._select[1].append(value)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.values[self._textarea][0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            # A line break right after <textarea> is not part of the value (HTML parsing).
            self.values[self._textarea][0] = self.values[self._textarea][0].removeprefix("\n")
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, selected, options = self._select
            self.values[name] = selected or options[:1]
            self._select = None


def form_values(response: Any, model_name: str) -> dict[str, Any]:
    """What the change form of the page `response` sends when saved as the page shows it."""
    assert response.status_code == 200, response.content.decode()[:800]
    parser = _FormValues(f"{model_name}_form")
    parser.feed(response.content.decode())
    assert parser.values, f"no {model_name}_form on the page"
    return {name: values if len(values) > 1 else values[0] for name, values in parser.values.items()}


def opened(client: Client, url: str, model_name: str) -> dict[str, Any]:
    """The change form at `url`, as a person opening the page would send it."""
    return form_values(client.get(url), model_name)
