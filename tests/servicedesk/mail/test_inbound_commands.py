"""The pipe (`mutualis receive_mail`, for an MTA's pipe transport) and the IMAP mailbox
(`mutualis fetch_mail`).

No IMAP server can be installed on this project's machines for tests (Dovecot is not among
the services CI starts), so fetch_mail is tested against `ScriptedImap` below: a small
IMAP4rev1 server (RFC 3501) speaking, over a real socket with Python's imaplib on the
other side, the commands fetch_mail sends (CAPABILITY, LOGIN, SELECT, UID SEARCH, UID
FETCH, UID STORE, UID MOVE/COPY, EXPUNGE, LOGOUT). It proves the conversation and its
order (a message is marked read or moved only after it is stored); it is not a test
against a real server's quirks.
"""

from __future__ import annotations

import io
import os
import re
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mutualis.servicedesk.mail import imap as imap_module
from mutualis.servicedesk.models import Comment, InboundEmail, InboundSource, InboundStatus

from .inbound_support import MailDesk, eml, simple

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


# The pipe ------------------------------------------------------------------------------------
def pipe(raw: bytes, *args: str) -> str:
    out = io.StringIO()
    call_command("receive_mail", *args, stdin=io.BytesIO(raw), stdout=out)
    return out.getvalue()


def test_the_pipe_stores_and_processes_one_message(mail_desk: MailDesk) -> None:
    output = pipe(eml("reply_gmail_fr.eml", mail_desk.ticket), "--operator", "test-operator")

    inbound = InboundEmail.objects.get()
    assert output.strip() == f"mail {inbound.pk}: replied"
    assert (inbound.source, inbound.operator) == (InboundSource.PIPE, mail_desk.cast.operator)
    assert Comment.objects.get().author == mail_desk.cast.alice


def test_the_pipe_says_when_a_message_is_set_aside(mail_desk: MailDesk) -> None:
    output = pipe(eml("unknown_sender.eml"), "--operator", "test-operator")
    assert output.strip().endswith("set_aside (unknown_sender)")


def test_the_pipe_needs_the_operator_when_there_are_several(mail_desk: MailDesk) -> None:
    # The cast has two operators; not knowing which, the message is not kept, and the
    # mail server keeps it and retries (EX_TEMPFAIL) while someone fixes the transport.
    with pytest.raises(CommandError) as refused:
        pipe(simple())
    assert refused.value.returncode == 75
    with pytest.raises(CommandError) as unknown:
        pipe(simple(), "--operator", "nobody")
    assert unknown.value.returncode == 75
    assert not InboundEmail.objects.exists()


def test_the_pipe_refuses_over_the_ceiling_and_empty_input(mail_desk: MailDesk, settings: Any) -> None:
    settings.MAIL_IN_CEILING_BYTES = 1_000
    with pytest.raises(CommandError) as large:
        pipe(simple(body="x" * 2_000), "--operator", "test-operator")
    assert large.value.returncode == 65  # EX_DATAERR: the mail server bounces it
    with pytest.raises(CommandError) as empty:
        pipe(b"\r\n", "--operator", "test-operator")
    assert empty.value.returncode == 65
    assert not InboundEmail.objects.exists()


def test_the_pipe_asks_for_a_retry_when_the_message_cannot_be_stored(
    mail_desk: MailDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mutualis.servicedesk.management.commands import receive_mail

    def unavailable(*args: object, **kwargs: object) -> None:
        raise OSError("database unavailable")

    monkeypatch.setattr(receive_mail, "receive", unavailable)
    with pytest.raises(CommandError) as failed:
        pipe(simple(), "--operator", "test-operator")
    assert failed.value.returncode == 75  # EX_TEMPFAIL: the mail server keeps it and retries


def test_the_real_command_reads_binary_standard_input_and_exits_as_sysexits_says() -> None:
    # The command as a mail server runs it, in its own process: a message over the ceiling
    # (1 MB here) is refused before anything is stored, with EX_DATAERR.
    env = {**os.environ, "MUTUALIS_ENV": "test", "MUTUALIS_MAIL_IN_MAX_MB": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    raw = simple(body="é" * 1_100_000)
    result = subprocess.run(
        [sys.executable, "-m", "mutualis", "receive_mail"],
        input=raw,
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 65, result.stderr.decode()
    assert b"not kept" in result.stderr


# IMAP ------------------------------------------------------------------------------------------
@dataclass
class Mailbox:
    messages: dict[int, bytes]
    capabilities: str = "IMAP4rev1 MOVE"
    seen: set[int] = field(default_factory=set)
    moved: dict[int, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def send(self, line: str | bytes) -> None:
        self.wfile.write(line.encode() if isinstance(line, str) else line)

    def handle(self) -> None:
        box = self.server.box
        self.send(f"* OK [CAPABILITY {box.capabilities}] scripted IMAP ready\r\n")
        while line := self.rfile.readline():
            tag, _space, rest = line.decode().rstrip("\r\n").partition(" ")
            command = rest.upper()
            box.log.append(rest)
            if command.startswith("CAPABILITY"):
                self.send(f"* CAPABILITY {box.capabilities}\r\n{tag} OK CAPABILITY completed\r\n")
            elif command.startswith("LOGIN"):
                ok = rest.split(" ", 2)[1:] == ["desk", '"secret"']
                self.send(
                    f"{tag} OK LOGIN completed\r\n" if ok else f"{tag} NO [AUTHENTICATIONFAILED] bad\r\n"
                )
            elif command.startswith("SELECT"):
                self.send(
                    f"* {len(box.messages)} EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n{tag} OK [READ-WRITE] SELECT completed\r\n"
                )
            elif command.startswith("UID SEARCH UNSEEN"):
                unseen = " ".join(
                    str(u) for u in sorted(box.messages) if u not in box.seen and u not in box.moved
                )
                self.send(
                    f"* SEARCH {unseen}\r\n{tag} OK SEARCH completed\r\n".replace("SEARCH \r\n", "SEARCH\r\n")
                )
            elif match := re.fullmatch(r"UID FETCH (\d+) \(BODY\.PEEK\[\]\)", command):
                uid = int(match.group(1))
                data = box.messages[uid]
                self.send(f"* {uid} FETCH (UID {uid} BODY[] {{{len(data)}}}\r\n".encode() + data + b")\r\n")
                self.send(f"{tag} OK FETCH completed\r\n")
            elif match := re.fullmatch(r"UID STORE (\d+) \+FLAGS\.SILENT \((.*)\)", command):
                if "\\SEEN" in match.group(2):
                    box.seen.add(int(match.group(1)))
                self.send(f"{tag} OK STORE completed\r\n")
            elif match := re.fullmatch(r'UID (MOVE|COPY) (\d+) "(.*)"', rest, re.IGNORECASE):
                box.moved[int(match.group(2))] = match.group(3)
                self.send(f"{tag} OK {match.group(1).upper()} completed\r\n")
            elif command.startswith("EXPUNGE"):
                self.send(f"{tag} OK EXPUNGE completed\r\n")
            elif command.startswith("LOGOUT"):
                self.send(f"* BYE logging out\r\n{tag} OK LOGOUT completed\r\n")
                return
            else:
                self.send(f"{tag} BAD unknown command\r\n")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    box: Mailbox


@pytest.fixture
def scripted_imap(settings: Any) -> Iterator[Mailbox]:
    box = Mailbox(messages={})
    server = _Server(("127.0.0.1", 0), _Handler)
    server.box = box
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.MAIL_IN_IMAP = {
        "host": "127.0.0.1",
        "port": server.server_address[1],
        "tls": False,
        "user": "desk",
        "password": "secret",
        "folder": "INBOX",
        "done_folder": "",
    }
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def fetch_mail() -> str:
    out = io.StringIO()
    call_command("fetch_mail", "--operator", "test-operator", stdout=out)
    return out.getvalue()


def test_fetch_mail_stores_each_unread_message_then_marks_it_read(
    mail_desk: MailDesk, scripted_imap: Mailbox
) -> None:
    scripted_imap.messages = {
        11: eml("reply_gmail_fr.eml", mail_desk.ticket),
        12: eml("unknown_sender.eml"),
    }

    output = fetch_mail()

    assert "2 message(s) received." in output
    rows = list(InboundEmail.objects.order_by("pk"))
    assert [(r.source, r.status) for r in rows] == [
        (InboundSource.IMAP, InboundStatus.REPLIED),
        (InboundSource.IMAP, InboundStatus.SET_ASIDE),
    ]
    assert scripted_imap.seen == {11, 12}
    # Read without marking (PEEK), marked only after: FETCH comes before STORE, per message.
    commands = [c for c in scripted_imap.log if c.startswith("UID")]
    assert commands == [
        "UID SEARCH UNSEEN",
        "UID FETCH 11 (BODY.PEEK[])",
        "UID STORE 11 +FLAGS.SILENT (\\Seen)",
        "UID FETCH 12 (BODY.PEEK[])",
        "UID STORE 12 +FLAGS.SILENT (\\Seen)",
    ]


def test_fetch_mail_moves_stored_messages_to_the_done_folder(
    mail_desk: MailDesk, scripted_imap: Mailbox, settings: Any
) -> None:
    settings.MAIL_IN_IMAP = {**settings.MAIL_IN_IMAP, "done_folder": "Traités"}
    scripted_imap.messages = {3: eml("unknown_sender.eml")}

    fetch_mail()

    assert scripted_imap.moved == {3: "Trait&AOk-s"}  # modified UTF-7 (RFC 3501 §5.1.3)


def test_without_move_it_copies_then_deletes(
    mail_desk: MailDesk, scripted_imap: Mailbox, settings: Any
) -> None:
    settings.MAIL_IN_IMAP = {**settings.MAIL_IN_IMAP, "done_folder": "Done"}
    scripted_imap.capabilities = "IMAP4rev1"
    scripted_imap.messages = {3: eml("unknown_sender.eml")}

    fetch_mail()

    commands = [c for c in scripted_imap.log if c.startswith(("UID", "EXPUNGE"))]
    assert commands[-3:] == ['UID COPY 3 "Done"', "UID STORE 3 +FLAGS.SILENT (\\Seen \\Deleted)", "EXPUNGE"]


def test_a_message_that_cannot_be_stored_stays_unread_on_the_server(
    mail_desk: MailDesk, scripted_imap: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripted_imap.messages = {5: eml("unknown_sender.eml")}

    def unavailable(*args: object, **kwargs: object) -> None:
        raise OSError("database unavailable")

    monkeypatch.setattr(imap_module, "receive", unavailable)
    with pytest.raises(CommandError):
        fetch_mail()

    assert scripted_imap.seen == set()
    assert not any(c.startswith("UID STORE") for c in scripted_imap.log)
    assert scripted_imap.log[-1] == "LOGOUT"


def test_a_message_stored_but_not_marked_comes_back_as_a_duplicate(
    mail_desk: MailDesk, scripted_imap: Mailbox
) -> None:
    scripted_imap.messages = {7: eml("reply_gmail_fr.eml", mail_desk.ticket)}
    fetch_mail()
    scripted_imap.seen.clear()  # as if the connection had dropped before STORE

    fetch_mail()

    assert [r.status for r in InboundEmail.objects.order_by("pk")] == [
        InboundStatus.REPLIED,
        InboundStatus.DUPLICATE,
    ]
    assert Comment.objects.count() == 1


def test_a_refused_login_is_a_clear_error(mail_desk: MailDesk, scripted_imap: Mailbox, settings: Any) -> None:
    settings.MAIL_IN_IMAP = {**settings.MAIL_IN_IMAP, "password": "wrong"}
    with pytest.raises(CommandError, match="IMAP"):
        fetch_mail()
    assert not InboundEmail.objects.exists()


def test_fetch_mail_without_a_mailbox_says_what_to_set(settings: Any) -> None:
    settings.MAIL_IN_IMAP = {**settings.MAIL_IN_IMAP, "host": ""}
    with pytest.raises(CommandError, match="MUTUALIS_IMAP_HOST"):
        call_command("fetch_mail")
