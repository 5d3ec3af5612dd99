"""Messages written to tie the service desk up: whoever can send an email can send these,
and they are read before their sender is known. Each must be read in time proportional
to its size (the inbound hook reads them while the mail server waits), and the text kept
must stay about the size of the message."""

from __future__ import annotations

import time

import pytest

from mutualis.servicedesk.mail.html_text import MAX_QUOTE_PREFIX, html_to_text
from mutualis.servicedesk.mail.inbound import receive
from mutualis.servicedesk.mail.inbound_parse import MalformedMailError, parse
from mutualis.servicedesk.mail.quoting import strip_quoted
from mutualis.servicedesk.models import InboundReason, InboundSource, InboundStatus

from .inbound_support import MailDesk, simple

# Each message below took minutes to hours before (work growing as the square of its
# size); read in linear time it takes well under a second. The bound leaves room for a
# busy machine without letting the square through.
SECONDS = 10.0


def _html_mail(html: str, *, sender: str = "inconnu@ailleurs.example") -> bytes:
    return (
        f"From: {sender}\r\nTo: support@mutualis.localhost\r\nSubject: Bonjour\r\n"
        "Message-ID: <hostile-html@ailleurs.example>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/html; charset=utf-8\r\n\r\n{html}"
    ).encode()


@pytest.mark.django_db
def test_a_long_line_of_small_html_elements_is_read_in_linear_time(mail_desk: MailDesk) -> None:
    # 700 KB: 80,000 elements on one line (each joined again the line so far: hours).
    html = "<p>" + "<span>mot</span> " * 80_000 + "</p>"
    started = time.monotonic()
    inbound = receive(_html_mail(html), source=InboundSource.HOOK, operator=mail_desk.cast.operator)
    elapsed = time.monotonic() - started

    assert elapsed < SECONDS, f"{elapsed:.1f} s"
    assert (inbound.status, inbound.reason) == (InboundStatus.SET_ASIDE, InboundReason.UNKNOWN_SENDER)
    assert inbound.text.startswith("mot mot mot")


def test_table_cells_and_spaces_are_still_written_as_before() -> None:
    # What the linear bookkeeping replaced: a cell after text is set apart, a space
    # starting a piece of text after one ending the line so far is not doubled.
    html = "<table><tr><td>A</td><td> B</td></tr><tr><td> </td><td>C</td></tr></table><p>x <b> y</b></p>"
    assert html_to_text(html) == "A  B\nC\n\nx y"


def test_nested_quotes_are_prefixed_to_a_bounded_depth() -> None:
    # 5,000 nested quotes (65 KB) wrote each line with its full depth: 50 million
    # characters; a 1 MB message, gigabytes.
    text = html_to_text("<blockquote>ligne" * 5_000)
    lines = [line for line in text.splitlines() if line.strip("> ")]
    assert len(lines) == 5_000
    assert lines[:2] == ["> ligne", "> > ligne"]
    assert lines[-1] == "> " * MAX_QUOTE_PREFIX + "ligne"
    assert len(text) < 2 * 5_000 * (2 * MAX_QUOTE_PREFIX + 6)


def test_a_text_of_blank_lines_is_read_in_linear_time() -> None:
    # 1 MB of line breaks before a word: each removed from the front one at a time, minutes.
    started = time.monotonic()
    assert strip_quoted("\n" * 1_000_000 + "Bonjour") == "Bonjour"
    assert time.monotonic() - started < SECONDS


@pytest.mark.django_db
def test_a_header_block_over_the_limit_is_not_read(mail_desk: MailDesk) -> None:
    # A To header of 2 MB: the standard library's address parser alone needs minutes. Mail
    # servers cut headers far below this; such a message is kept and set aside unread.
    to = ", ".join(f"agent{i}@versailles.example" for i in range(120_000))
    raw = (
        "From: alice@versailles.example\r\nMessage-ID: <hostile-to@ailleurs.example>\r\n"
        f"To: {to}\r\nSubject: s\r\n\r\nBonjour\r\n"
    ).encode()
    started = time.monotonic()
    with pytest.raises(MalformedMailError, match="256"):
        parse(raw)
    assert time.monotonic() - started < SECONDS
    inbound = receive(raw, source=InboundSource.HOOK, operator=mail_desk.cast.operator)
    assert (inbound.status, inbound.reason) == (InboundStatus.SET_ASIDE, InboundReason.MALFORMED)
    assert "256" in inbound.detail
    assert inbound.from_address == "alice@versailles.example"  # listed by its first headers


@pytest.mark.django_db
def test_a_references_header_of_message_id_look_alikes_is_read_in_linear_time(mail_desk: MailDesk) -> None:
    # 200 KB of "<t.1.1.a.a@" (under the header limit) from a known person: looking for
    # our signed Message-IDs tried each look-alike to the end of the header (a minute).
    raw = simple(headers={"References": "<t.1.1.a.a@" * 18_000})

    started = time.monotonic()
    inbound = receive(raw, source=InboundSource.HOOK, operator=mail_desk.cast.operator)
    elapsed = time.monotonic() - started

    assert elapsed < SECONDS, f"{elapsed:.1f} s"
    assert inbound.status == InboundStatus.OPENED  # alice's new request: no ticket named
