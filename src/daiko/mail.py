"""Outgoing mail: SMTP when `DAIKO_SMTP_URL` is set, otherwise `.eml` files under
`<data dir>/mail/` (development and tests read them there).

smtplib blocks, so sending runs in a worker thread. URL forms: `smtp://user:pw@host:25`
(plain, upgraded with STARTTLS when the server offers it), `smtp+starttls://…` (STARTTLS
required), `smtps://…:465` (TLS from the first byte).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import anyio
import structlog

from daiko.config import Settings
from daiko.ids import new_id

log = structlog.get_logger("daiko.mail")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def mail_dir(settings: Settings) -> Path:
    return settings.data_dir / "mail"


def build_message(settings: Settings, mail: Mail) -> EmailMessage:
    from datetime import UTC, datetime

    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="daiko.localhost")
    msg.set_content(mail.body)
    return msg


def _send_smtp(url: str, msg: EmailMessage) -> None:
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, parts.port or 465, timeout=30, context=context)
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=30)
    with client:
        client.ehlo()
        if parts.scheme == "smtp+starttls" or (
            parts.scheme == "smtp" and client.has_extn("starttls")
        ):
            client.starttls(context=context)
            client.ehlo()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(msg)


def _write_eml(directory: Path, msg: EmailMessage) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{new_id().hex}.eml"
    path.write_bytes(msg.as_bytes())
    return path


async def send_mail(settings: Settings, mail: Mail) -> None:
    """Send (or, without SMTP, write) one plain-text message. Raises on SMTP failure."""
    msg = build_message(settings, mail)
    if settings.smtp_url:
        await anyio.to_thread.run_sync(_send_smtp, settings.smtp_url, msg)
        log.info("mail sent", subject=mail.subject)
        return
    path = await anyio.to_thread.run_sync(_write_eml, mail_dir(settings), msg)
    log.info("mail written", subject=mail.subject, path=str(path))
