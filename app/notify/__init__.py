"""Channels that carry a notice to its recipient (R-CHANNEL, Art. 23: 数据电文): e-mail over
SMTP (standard library) and SMS through an HTTP gateway. Each send answers with a `Sent`:
accepted (the server or gateway took it for delivery) or refused, with the reason.

Each channel is off unless its settings are given (SMTP_HOST, SMS_GATEWAY_URL)."""

from .email import Mailer, mailer_for
from .sms import HttpSmsGateway, SmsGateway, sms_gateway_for
from .text import Sent, letter_text

__all__ = [
    "HttpSmsGateway",
    "Mailer",
    "Sent",
    "SmsGateway",
    "letter_text",
    "mailer_for",
    "sms_gateway_for",
]
