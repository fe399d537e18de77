"""A tiny HTTP client over the standard library, for tests against the live server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import quote


def call(method: str, url: str, body: bytes | None = None, headers: dict | None = None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def get(url: str):
    return call("GET", url)


__all__ = ["call", "get", "quote"]
