"""HTML mail as readable text, for messages sent without a text/plain part.

Never shown as HTML: the service desk keeps and displays only this text. Paragraphs and
line breaks are kept, lists become "- " lines, links "text (url)", quoted blocks "> "
lines (so that quoting.strip_quoted can drop them like plain-text quotes), and what is not
text (<style>, <script>, <head>, images) is dropped. Entities are unescaped by the parser.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements after which (and before which) the text starts a new line.
_BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tr",
        "ul",
    }
)
# Elements separated from the previous one by an empty line.
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "pre"})
# Whose content is not text for a person.
_SKIPPED = frozenset({"head", "style", "script", "template", "noscript", "title", "object", "svg"})
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"})
_SPACES = re.compile(r"[ \t\r\n\f\u200b]+")
# At most this many "> " before a quoted line: a thread rarely goes deeper, and each line
# carrying its full depth made a message of nested <blockquote>s grow as the square of its
# size (13 bytes each: a 1 MB message written out as gigabytes of text).
MAX_QUOTE_PREFIX = 20


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []  # finished lines, without the quote prefix yet
        self.current: list[str] = []
        # What the checks made at each piece of text need to know of the current line,
        # kept as it is written: joining the line for each piece made a long line of
        # many small elements quadratic (a 2 MB message held the mail server's call, and
        # its database row, for hours).
        self.current_last = ""  # the current line's last character
        self.current_has_text = False  # whether it holds anything but white space
        self.skipping = 0
        self.pre = 0
        self.quote = 0
        self.lists: list[list[int]] = []  # per open list: [next number] or [] for bullets
        self.indent = ""  # of the current line: a nested list item
        self.links: list[str] = []  # the href of each open link
        self.link_text: list[str] = []

    # Lines ------------------------------------------------------------------------------
    def _line_text(self) -> str:
        return "".join(self.current)

    def _break(self, *, blank: bool = False, always: bool = False) -> None:
        """End the current line; `blank`: then leave an empty line (a paragraph);
        `always`: keep the line even when empty (a <br> on its own)."""
        text = self._line_text()
        if self.pre == 0:
            text = text.strip()
        if text or always:
            self.lines.append(self._prefix(self.indent + text if text else ""))
        self.current = []
        self.current_last = ""
        self.current_has_text = False
        self.indent = ""
        if blank:
            self.lines.append(self._prefix(""))

    def _prefix(self, text: str) -> str:
        if not self.quote:
            return text
        depth = min(self.quote, MAX_QUOTE_PREFIX)
        return ("> " * depth + text).rstrip() if text else ">" * depth

    def _write(self, text: str) -> None:
        if self.link_text:
            self.link_text[-1] += text
        self._append(text)

    def _append(self, text: str) -> None:
        if text:
            self.current.append(text)
            self.current_last = text[-1]
            self.current_has_text = self.current_has_text or not text.isspace()

    # Parser events ------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            if tag not in _VOID:
                self.skipping += 1
            return
        if self.skipping:
            return
        if tag == "br":
            self._break(always=True)
            return
        if tag in _BLOCKS:
            self._break(blank=tag in _PARAGRAPHS)
        if tag == "blockquote":
            self.quote += 1
        elif tag == "pre":
            self.pre += 1
        elif tag == "ol":
            self.lists.append([1])
        elif tag == "ul":
            self.lists.append([])
        elif tag == "li":
            counter = self.lists[-1] if self.lists else []
            self.indent = "  " * max(len(self.lists) - 1, 0)
            if counter:
                self._write(f"{counter[0]}. ")
                counter[0] += 1
            else:
                self._write("- ")
        elif tag in ("td", "th"):
            if self.current_has_text:
                self._write("  ")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append(href.strip())
            self.link_text.append("")
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self._write(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(self.skipping - 1, 0)
            return
        if self.skipping:
            return
        if tag == "a" and self.links:
            href = self.links.pop()
            text = self.link_text.pop().strip()
            if self.link_text:
                self.link_text[-1] += text
            shown = href.removeprefix("mailto:")
            if href and not href.startswith(("#", "javascript:", "cid:")) and shown not in (text, ""):
                self._append(f" ({shown})")
            return
        if tag in _BLOCKS:
            self._break()
        if tag == "blockquote":
            self.quote = max(self.quote - 1, 0)  # the empty line after it is outside it
        if tag in _PARAGRAPHS:
            self.lines.append(self._prefix(""))
        if tag == "pre":
            self.pre = max(self.pre - 1, 0)
        elif tag in ("ol", "ul") and self.lists:
            self.lists.pop()

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.pre:
            parts = data.split("\n")
            for index, part in enumerate(parts):
                if index:
                    self._break(always=True)
                self._write(part)
            return
        text = _SPACES.sub(" ", data.replace("\xa0", " "))
        if not text.strip() and not self.current:
            return
        if self.current_last == " " and text.startswith(" "):
            text = text[1:]
        self._write(text)

    def text(self) -> str:
        self._break()
        kept: list[str] = []
        for line in self.lines:
            blank = not line.strip("> ")
            if blank and (not kept or not kept[-1].strip("> ")):
                continue  # no empty line first, nor two in a row
            kept.append(line)
        while kept and not kept[-1].strip("> "):
            kept.pop()
        return "\n".join(kept)


def html_to_text(html: str) -> str:
    """The readable text of an HTML message (see the module's docstring)."""
    converter = _Converter()
    converter.feed(html)
    converter.close()
    return converter.text()
