"""Email in from an IMAP mailbox (IMAP4rev1, RFC 3501), for `mutualis fetch_mail`.

Each unread message is fetched without marking it read (BODY.PEEK[], §6.4.5), handed to
`inbound.receive`, and only once it is stored marked read (\\Seen) or moved to the "done"
folder (MOVE, RFC 6851, or COPY + \\Deleted + EXPUNGE where the server lacks MOVE). If
storing fails the message stays unread on the server, and the next run takes it again;
a message stored but not marked (the connection dropped) comes back as a duplicate,
recognised by its Message-ID and not processed twice.
"""

from __future__ import annotations

import base64
import imaplib
import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mutualis.registry.models import Operator

from ..models import InboundEmail, InboundSource
from .inbound import receive

logger = logging.getLogger("mutualis.mail")


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int = 0
    tls: bool = True
    user: str = ""
    password: str = ""
    folder: str = "INBOX"
    done_folder: str = ""

    @classmethod
    def from_settings(cls, config: dict[str, object]) -> Mailbox:
        return cls(
            host=str(config.get("host") or ""),
            port=int(str(config.get("port") or 0)),
            tls=bool(config.get("tls", True)),
            user=str(config.get("user") or ""),
            password=str(config.get("password") or ""),
            folder=str(config.get("folder") or "INBOX"),
            done_folder=str(config.get("done_folder") or ""),
        )

    def connect(self) -> imaplib.IMAP4:
        if self.tls:
            return imaplib.IMAP4_SSL(self.host, self.port or 993, ssl_context=ssl.create_default_context())
        return imaplib.IMAP4(self.host, self.port or 143)


class MailboxError(RuntimeError):
    pass


def mailbox_name(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 §5.1.3): "Traités" is "Trait&AOk-s"."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _quoted(name: str) -> str:
    # As an IMAP quoted string (RFC 3501 §4.3).
    return '"' + mailbox_name(name).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(result: tuple[str, Any], what: str) -> list[Any]:
    kind, data = result
    if kind != "OK":
        raise MailboxError(f"IMAP {what} failed: {data!r}")
    return data


def _message_bytes(data: list[Any]) -> bytes:
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    raise MailboxError("IMAP FETCH returned no message")


def fetch(
    mailbox: Mailbox,
    *,
    operator: Operator | None = None,
    limit: int = 100,
    connect: Callable[[], imaplib.IMAP4] | None = None,
) -> list[InboundEmail]:
    """Receive up to `limit` unread messages of the mailbox's folder; return their rows."""
    client = (connect or mailbox.connect)()
    received: list[InboundEmail] = []
    try:
        _check(client.login(mailbox.user, mailbox.password), "LOGIN")
        _check(client.select(_quoted(mailbox.folder)), "SELECT")
        found = _check(client.uid("SEARCH", "UNSEEN"), "SEARCH")
        uids: list[bytes] = (found[0] or b"").split() if found else []
        can_move = "MOVE" in client.capabilities
        deleted = False
        for uid in uids[:limit]:
            uid_text = uid.decode() if isinstance(uid, bytes) else str(uid)
            if not re.fullmatch(r"\d+", uid_text):
                continue
            raw = _message_bytes(_check(client.uid("FETCH", uid_text, "(BODY.PEEK[])"), "FETCH"))
            # Stored (and processed) before the server is told anything.
            inbound = receive(raw, source=InboundSource.IMAP, operator=operator)
            received.append(inbound)
            if mailbox.done_folder and can_move:
                _check(client.uid("MOVE", uid_text, _quoted(mailbox.done_folder)), "MOVE")
            elif mailbox.done_folder:
                _check(client.uid("COPY", uid_text, _quoted(mailbox.done_folder)), "COPY")
                _check(client.uid("STORE", uid_text, "+FLAGS.SILENT", r"(\Seen \Deleted)"), "STORE")
                deleted = True
            else:
                _check(client.uid("STORE", uid_text, "+FLAGS.SILENT", r"(\Seen)"), "STORE")
            logger.info("IMAP message %s stored as mail %s (%s)", uid_text, inbound.pk, inbound.status)
        if deleted:
            _check(client.expunge(), "EXPUNGE")
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            logger.warning("IMAP LOGOUT failed", exc_info=True)
    return received
