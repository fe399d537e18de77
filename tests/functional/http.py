"""A tiny HTTP client over the standard library, for tests against the `live_server` base URL
(the app answering in process, tests/inprocess.py) or a real server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import quote

from tests.inprocess import opener

_opener = opener()


def call(method: str, url: str, body: bytes | None = None, headers: dict | None = None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with _opener.open(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def get(url: str):
    return call("GET", url)


__all__ = ["call", "get", "quote"]
