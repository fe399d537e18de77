"""SMS behind a gateway interface, with one adapter for an HTTP gateway.

The HTTP adapter POSTs JSON {"to": mobile, "template": id, "params": {...}} to
SMS_GATEWAY_URL with `Authorization: Bearer SMS_GATEWAY_TOKEN`, the template being the
gateway's template id for the kind of notice (SMS_TEMPLATES="deduction_notice:TPL_1,…";
providers approve templates, not free text). A 2xx answer whose JSON says
{"status": "delivered" | "accepted", "id": …} counts as delivered; anything else, or no
answer within SMS_GATEWAY_TIMEOUT seconds, is a refusal with the gateway's words. Another
provider's API is one more class with the same `send`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Protocol

from .text import Sent


class SmsGateway(Protocol):
    def send(self, mobile: str, kind: str, params: dict[str, str]) -> Sent: ...


class HttpSmsGateway:
    def __init__(
        self, url: str, *, token: str = "", templates: dict[str, str], timeout: float = 10
    ):
        self.url, self.token, self.templates, self.timeout = url, token, templates, timeout

    def send(self, mobile: str, kind: str, params: dict[str, str]) -> Sent:
        template = self.templates.get(kind)
        if template is None:
            return Sent(False, f"no SMS template for {kind} (SMS_TEMPLATES)")
        body = json.dumps(
            {"to": mobile, "template": template, "params": params}, ensure_ascii=False
        ).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                answer = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return Sent(False, f"HTTP {exc.code}: {exc.read(500).decode('utf-8', 'replace')}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return Sent(False, f"{type(exc).__name__}: {exc}")
        status = str(answer.get("status", ""))
        if status in ("delivered", "accepted"):
            return Sent(True, status, str(answer.get("id", "")))
        return Sent(False, f"{status or 'no status'}: {answer.get('message', '')}".strip())


def parse_templates(raw: str) -> dict[str, str]:
    out = {}
    for pair in filter(None, (p.strip() for p in raw.split(","))):
        kind, _, template = pair.partition(":")
        out[kind.strip()] = template.strip()
    return out


def sms_gateway_for(config) -> SmsGateway | None:
    url = config.get("SMS_GATEWAY_URL")
    if not url:
        return None
    return HttpSmsGateway(
        url,
        token=config.get("SMS_GATEWAY_TOKEN") or "",
        templates=parse_templates(config.get("SMS_TEMPLATES") or ""),
        timeout=float(config.get("SMS_GATEWAY_TIMEOUT") or 10),
    )
