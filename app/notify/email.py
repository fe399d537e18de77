"""E-mail through an SMTP server with the standard library (smtplib).

Settings: SMTP_HOST (unset: no e-mail channel), SMTP_PORT (25; 587 with STARTTLS, 465 with
SSL), SMTP_TLS (none | starttls | ssl), SMTP_SENDER (the From address), SMTP_USERNAME and
SMTP_PASSWORD (optional), SMTP_TIMEOUT (seconds, 10).

A message the server refuses (a 4xx/5xx answer to the recipient or the data, or a
connection that fails) is a refusal with the server's words; one it accepts counts as
delivered on that day (R-CHANNEL: the gateway confirms delivery)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from .text import Sent


class Mailer:
    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        sender: str,
        tls: str = "none",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10,
    ):
        if tls not in ("none", "starttls", "ssl"):
            raise ValueError(f"SMTP_TLS must be none, starttls or ssl, not {tls!r}")
        self.host, self.port, self.sender, self.tls = host, port, sender, tls
        self.username, self.password, self.timeout = username, password, timeout

    def send(self, to: str, subject: str, body: str) -> Sent:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        msg.set_content(body)
        try:
            if self.tls == "ssl":
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.tls == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return Sent(False, f"{code} {_text(text)}")
        except smtplib.SMTPResponseException as exc:
            return Sent(False, f"{exc.smtp_code} {_text(exc.smtp_error)}")
        except (smtplib.SMTPException, OSError) as exc:
            return Sent(False, f"{type(exc).__name__}: {exc}")
        if refused:
            code, text = next(iter(refused.values()))
            return Sent(False, f"{code} {_text(text)}")
        return Sent(True, "250 accepted", msg["Message-ID"])


def _text(raw) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def mailer_for(config) -> Mailer | None:
    host = config.get("SMTP_HOST")
    if not host:
        return None
    return Mailer(
        host,
        int(config.get("SMTP_PORT") or 25),
        sender=config.get("SMTP_SENDER") or "noreply@localhost",
        tls=config.get("SMTP_TLS") or "none",
        username=config.get("SMTP_USERNAME") or None,
        password=config.get("SMTP_PASSWORD") or None,
        timeout=float(config.get("SMTP_TIMEOUT") or 10),
    )
