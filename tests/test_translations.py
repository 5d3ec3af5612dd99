"""The interface is French: every string of the catalogue has a translation.

`make messages` adds new strings to the catalogue untranslated; this test fails until
someone translates them, so English never leaks into the French interface unnoticed.
"""

import re
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[1] / "mutualis" / "locale" / "fr" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def entries() -> list[tuple[set[str], dict[str, str]]]:
    """(flags, {keyword: text}) per entry, continuation lines joined; the header skipped."""
    parsed = []
    for block in re.split(r"\n\s*\n", CATALOGUE.read_text(encoding="utf-8")):
        flags: set[str] = set()
        fields: dict[str, str] = {}
        keyword = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                flags |= {f.strip() for f in line[2:].split(",")}
            elif match := re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line):
                keyword = match.group(1)
                fields[keyword] = match.group(2)
            elif line.startswith('"') and keyword:
                fields[keyword] += line[1:-1]
        if fields.get("msgid"):
            parsed.append((flags, fields))
    return parsed


def test_catalogue_has_no_untranslated_or_fuzzy_entry() -> None:
    problems = []
    for flags, fields in entries():
        if "fuzzy" in flags:
            problems.append(f"fuzzy: {fields['msgid']}")
        translations = [v for k, v in fields.items() if k.startswith("msgstr")]
        if not translations or not all(translations):
            problems.append(f"untranslated: {fields['msgid']}")
    assert problems == []


def test_placeholders_survive_translation() -> None:
    mismatched = []
    for _flags, fields in entries():
        source = set(PLACEHOLDER.findall(fields["msgid"] + fields.get("msgid_plural", "")))
        for key, text in fields.items():
            # A singular may say "un" instead of its count (%(counter)s, or %(shown)s, the count
            # grouped by thousands); every other placeholder must stay.
            counts = {"%(counter)s", "%(shown)s"} if key == "msgstr[0]" else set()
            if key.startswith("msgstr") and set(PLACEHOLDER.findall(text)) - counts != source - counts:
                mismatched.append(f"{key}: {fields['msgid']}")
    assert mismatched == []
