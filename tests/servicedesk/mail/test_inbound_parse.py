"""Reading messages: HTML as text, quoted history and signatures removed, charsets,
subjects, and the headers of anything, however broken."""

from __future__ import annotations

import base64

import pytest

from mutualis.servicedesk.mail.html_text import html_to_text
from mutualis.servicedesk.mail.identity import REPLY_ABOVE
from mutualis.servicedesk.mail.imap import mailbox_name
from mutualis.servicedesk.mail.inbound_parse import (
    MalformedMailError,
    clean_subject,
    decode_text,
    parse,
    read_headers,
)
from mutualis.servicedesk.mail.quoting import strip_quoted

from .inbound_support import eml


# HTML -----------------------------------------------------------------------------------------
def test_html_paragraphs_breaks_and_entities() -> None:
    html = "<p>Bonjour&nbsp;!</p><p>Ligne 1<br>Ligne 2<br><br>Après un blanc &eacute;&amp;&#233;&lt;</p>"
    assert html_to_text(html) == "Bonjour !\n\nLigne 1\nLigne 2\n\nAprès un blanc é&é<"


def test_html_lists_nested_and_numbered() -> None:
    html = "<ul><li>un</li><li>deux<ol><li>a</li><li>b</li></ol></li></ul>"
    assert html_to_text(html) == "- un\n- deux\n\n  1. a\n  2. b"


def test_html_links_show_their_address_once() -> None:
    html = (
        '<a href="https://a.example/x">la doc</a>, <a href="https://b.example">https://b.example</a>, '
        '<a href="mailto:x@y.example">x@y.example</a>, <a href="#top">haut</a>'
    )
    assert html_to_text(html) == "la doc (https://a.example/x), https://b.example, x@y.example, haut"


def test_html_drops_what_is_not_text() -> None:
    html = (
        "<html><head><title>T</title><style>p{}</style><meta charset=utf-8></head>"
        "<body><script>var x = '<p>';</script><noscript>n</noscript><p>Texte</p>"
        '<img src="cid:logo" alt="Logo de la mairie"><svg><text>s</text></svg></body></html>'
    )
    assert html_to_text(html) == "Texte\n\n[Logo de la mairie]"


def test_html_quotes_become_quoted_lines_and_pre_keeps_its_spaces() -> None:
    html = "<div>Réponse</div><blockquote>cité<br>encore<blockquote>plus loin</blockquote></blockquote><pre>a   b\n  c</pre>"
    assert html_to_text(html) == "Réponse\n\n> cité\n> encore\n>\n> > plus loin\n>\na   b\n  c"


def test_html_tables_keep_their_cells_apart() -> None:
    assert html_to_text(
        "<table><tr><td>Salle</td><td>B12</td></tr><tr><td>Étage</td><td>2</td></tr></table>"
    ) == ("Salle  B12\nÉtage  2")


# Quoted history and signatures ------------------------------------------------------------------
@pytest.mark.parametrize(
    "history",
    [
        "Le lun. 3 mars 2025 à 10:12, Service desk <support@mutualis.localhost> a écrit :\n> Bonjour",
        "Le 03/03/2025 à 10:12, Service desk a écrit :\n> Bonjour",
        "Le lun. 3 mars 2025 à 10:12, Service desk Mutualis <\nsupport@mutualis.localhost> a écrit :\n\n> Bonjour",
        "On Mon, Mar 3, 2025 at 10:12 AM Service desk <support@mutualis.localhost> wrote:\n> Hello",
        "On Mon, Mar 3, 2025 at 10:12 AM Service desk\n<support@mutualis.localhost> wrote:\n> Hello",
        "-----Message d'origine-----\nDe : Service desk\nEnvoyé : lundi 3 mars 2025 10:12",
        "-----Original Message-----\nFrom: Service desk\nSent: Monday, March 3, 2025 10:12 AM",
        '----- Mail original -----\nDe: "Service desk" <support@mutualis.localhost>\nÀ: alice',
        "________________________________\nDe : Service desk <support@mutualis.localhost>\n"
        "Envoyé : lundi 3 mars 2025 10:12\nÀ : Alice\nObjet : [#12] Écran",
        "From: Service desk <support@mutualis.localhost>\nSent: Monday, March 3, 2025 10:12\n"
        "To: Alice\nSubject: [#12] Screen",
        "*De :* Service desk\n*Envoyé :* lundi 3 mars 2025\n*À :* Alice",
        f"{REPLY_ABOVE}\n\nBonjour, votre demande…",
        f"> {REPLY_ABOVE}\n> Bonjour",
    ],
)
def test_quoted_history_is_dropped(history: str) -> None:
    reply = "Merci, c'est réparé.\nAlice"
    assert strip_quoted(f"{reply}\n\n{history}\n\nencore du texte cité\n") == reply


def test_trailing_quoted_lines_are_dropped() -> None:
    assert strip_quoted("Merci.\n\n> Bonjour Alice,\n> Pouvez-vous préciser ?\n>\n") == "Merci."


def test_a_sentence_that_looks_like_an_attribution_is_kept() -> None:
    text = "Le technicien a écrit :\nil faut changer la dalle.\n\nMerci"
    assert strip_quoted(text) == text


def test_quotes_inside_the_reply_are_kept_only_the_trailing_ones_go() -> None:
    text = "> Pouvez-vous passer jeudi ?\nOui, à 14 h.\n\n> Merci\n> L'équipe"
    assert strip_quoted(text) == "> Pouvez-vous passer jeudi ?\nOui, à 14 h."


@pytest.mark.parametrize(
    "signature",
    ["-- \nAlice Lefèvre\nMairie", "--\nAlice Lefèvre", "Envoyé de mon iPhone", "Sent from my Galaxy"],
)
def test_signatures_are_dropped(signature: str) -> None:
    assert strip_quoted(f"\n\nLa salle est fermée.\n\n{signature}\n") == "La salle est fermée."


def test_dashes_inside_a_line_are_not_a_signature() -> None:
    assert strip_quoted("Le code -- 1789 -- est affiché.") == "Le code -- 1789 -- est affiché."


# Charsets and MIME ------------------------------------------------------------------------------
def test_latin_1_is_read_as_windows_1252() -> None:
    assert decode_text(b"L\x92\xe9cran co\xfbte 100 \x80", "iso-8859-1") == "L’écran coûte 100 €"


def test_an_unknown_or_wrong_charset_falls_back_without_failing() -> None:
    assert decode_text("Été".encode(), "x-unknown-charset") == "Été"
    assert decode_text(b"\xe9t\xe9", "utf-8") == "été"  # declared UTF-8, written in Latin-1
    assert decode_text(b"caf\xe9", None) == "café"
    assert decode_text(b"caf\xe9", "utf-8\x00") == "café"  # a NUL in the label is an unknown charset


def test_base64_utf8_and_format_flowed_bodies() -> None:
    body = base64.b64encode(b"Une ligne longue qui \ncontinue ici.\n-- \nSig\n").decode()
    raw = (
        "From: alice@versailles.example\nSubject: x\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8; format=flowed\nContent-Transfer-Encoding: base64\n\n"
        f"{body}\n"
    ).encode()
    assert parse(raw).text == "Une ligne longue qui continue ici."


def test_a_text_file_attached_is_a_file_not_the_body() -> None:
    raw = (
        b"From: alice@versailles.example\nSubject: journal\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain; charset=utf-8\n\n'
        b'Voir le journal.\n--b\nContent-Type: text/plain; name="erreurs.log"\n'
        b'Content-Disposition: attachment; filename="erreurs.log"\n\nERREUR 42\n--b--\n'
    )
    mail = parse(raw)
    assert mail.text == "Voir le journal."
    assert [(f.name, f.data.strip()) for f in mail.files] == [("erreurs.log", b"ERREUR 42")]


def test_an_encoded_name_with_a_comma_is_one_sender() -> None:
    raw = b"From: =?utf-8?q?Lef=C3=A8vre=2C_Alice?= <alice@versailles.example>\nSubject: x\n\nBonjour\n"
    headers = read_headers(raw)
    assert (headers.from_name, headers.from_address) == ("Lefèvre, Alice", "alice@versailles.example")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage without headers",
        b"From: <<<@>>>\nSubject: =?x?q?\n\n",
        eml("malformed.eml"),
        b"From: alice@versailles.example\n" + b"X-Long: " + b"a" * 300_000 + b"\n\nbody",
    ],
)
def test_reading_headers_never_fails(raw: bytes) -> None:
    read_headers(raw)  # no exception, whatever the bytes


def test_a_message_without_a_sender_is_malformed() -> None:
    with pytest.raises(MalformedMailError):
        parse(b"To: support@mutualis.localhost\nSubject: anonyme\n\nBonjour\n")


# Subjects and folder names ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("subject", "title"),
    [
        ("RE: TR: Fwd: Imprimante", "Imprimante"),
        ("Re[2]: Imprimante", "Imprimante"),
        ("AW: WG: Drucker", "Drucker"),
        ("RE : [#12] Écran cassé", "Écran cassé"),
        ("Réf. : facture", "facture"),
        ("  Rendez-vous   demain ", "Rendez-vous demain"),
        ("Rebond du serveur", "Rebond du serveur"),
    ],
)
def test_subjects_become_titles(subject: str, title: str) -> None:
    assert clean_subject(subject) == title


def test_folder_names_in_modified_utf7() -> None:
    assert mailbox_name("Traités") == "Trait&AOk-s"
    assert mailbox_name("R&D") == "R&-D"
    assert mailbox_name("INBOX") == "INBOX"
