"""The interface is French: every string of the catalogue has a translation.

`make messages` adds new strings to the catalogue untranslated; this test fails until
someone translates them, so English never leaks into the French interface unnoticed.
A string never marked for translation escapes the catalogue: the model fields the
back-office shows are checked for a label of their own.
"""

import re
from pathlib import Path
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import FieldDoesNotExist
from django.utils import translation

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


# Labels spelled the same in French and English, or codes: not a forgotten translation.
SAME_IN_BOTH_LANGUAGES = {
    "code",
    "commune",
    "département",
    "description",
    "document",
    "EPCI",
    "ID",
    "message",
    "Message-ID",
    "mode",
    "notification",
    "parent",
    "population",
    "position",
    "SHA-256",
    "SIREN",
    "site",
    "source",
    "ticket",
    "type",
    "types",
    "URL",
    "version",
}
# Left to the alert rules' owners, who are changing mutualis/datahub/alerts at the moment.
KNOWN_UNTRANSLATED = {("AlertState", "rule")}


def _shown_field_names(model_admin: Any) -> set[str]:
    names: set[str] = set()
    for attribute in ("list_display", "readonly_fields", "fields", "list_filter", "search_fields"):
        for item in getattr(model_admin, attribute, None) or []:
            name = item if isinstance(item, str) else item[0] if isinstance(item, tuple | list) else None
            if isinstance(name, str):
                names.add(name.lstrip("=^@").split("__")[0])
    if model_admin.fieldsets:
        names |= set(flatten_fieldsets(model_admin.fieldsets))
    return names


def test_every_model_field_the_back_office_shows_has_a_french_label() -> None:
    """A field without a verbose_name is labelled by Django with its English name ("Operator",
    "Take charge warn at" on a ticket's page): every field a back-office page shows (columns,
    filters, forms, read-only fields) must have a label that French translates."""
    untranslated = []
    for model, model_admin in admin.site._registry.items():
        if not model.__module__.startswith("mutualis."):
            continue
        for name in sorted(_shown_field_names(model_admin)):
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue  # a method or a property: labelled by its own description
            if not hasattr(field, "verbose_name") or (model.__name__, name) in KNOWN_UNTRANSLATED:
                continue
            with translation.override("en"):
                english = str(field.verbose_name)
            with translation.override("fr"):
                french = str(field.verbose_name)
            if english == french and french not in SAME_IN_BOTH_LANGUAGES:
                untranslated.append(f"{model.__name__}.{name}: {french}")
    assert untranslated == []


# French typography writes the apostrophe ’ (U+2019): "Jetons d’API", "l’opérateur".
def test_french_translations_use_the_typographic_apostrophe() -> None:
    straight = [
        f"{key}: {text}"
        for _flags, fields in entries()
        for key, text in fields.items()
        if key.startswith("msgstr") and "'" in text
    ]
    assert straight == []


# Before « : ; ! ? » the catalogue writes a plain space ("Votre équipe : …"), as in
# hundreds of entries; a no-break space in a few of them made the same words look different
# from one page to the next and broke tests matching the text.
def test_french_punctuation_is_spaced_like_the_rest_of_the_catalogue() -> None:
    other_spaces = [
        f"{key}: {text}"
        for _flags, fields in entries()
        for key, text in fields.items()
        if key.startswith("msgstr") and re.search(r"[\u00a0\u202f][:;!?]", text)
    ]
    assert other_spaces == []


def test_no_message_is_marked_inside_an_f_string() -> None:
    """xgettext does not read inside an f-string: `f"{name}: {_('(present)')}"` was never
    extracted, so `make messages` (--no-obsolete) dropped its hand-added translation and
    the message went back to English. Such a message is taken out into a variable."""
    source = Path(__file__).resolve().parents[1] / "mutualis"
    marked = re.compile(
        r"""\bf(["'])[^"'\n]*\{[^}\n]*\b(?:n|p)?gettext(?:_lazy)?\(|\bf(["'])[^"'\n]*\{[^}\n]*\b_\("""
    )
    found = [
        f"{path.relative_to(source)}:{number}"
        for path in sorted(source.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if marked.search(line)
    ]
    assert found == []
