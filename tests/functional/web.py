"""A cookie-keeping HTTP client for the web pages, which posts forms with the CSRF token of the
last page it read, as a browser would. It speaks HTTP through urllib to the `live_server` base
URL, where the app answers in process (tests/inprocess.py), or to a real server."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime

from tests.inprocess import opener

PASSWORD = "correct-horse-7"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Page:
    def __init__(self, status: int, text: str, location: str | None):
        self.status, self.text, self.location = status, text, location

    def __contains__(self, needle: str) -> bool:
        return needle in self.text

    def __repr__(self) -> str:
        return f"<Page {self.status} {self.location or ''} {len(self.text)} chars>"


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        self.csrf: str | None = None

    def _open(self, req: urllib.request.Request) -> Page:
        try:
            with self.opener.open(req, timeout=15) as resp:
                page = Page(resp.status, resp.read().decode("utf-8"), None)
        except urllib.error.HTTPError as err:
            page = Page(
                err.code, err.read().decode("utf-8", "replace"), err.headers.get("Location")
            )
        found = CSRF.search(page.text)
        if found:
            self.csrf = found.group(1)
        return page

    def get(self, path: str, follow: bool = True) -> Page:
        page = self._open(urllib.request.Request(self.base + path))
        hops = 0
        while follow and page.status in (301, 302, 303) and page.location and hops < 5:
            page = self._open(
                urllib.request.Request(urllib.parse.urljoin(self.base, page.location))
            )
            hops += 1
        return page

    def post(self, path: str, data: dict | list | None = None, *, csrf: bool = True, follow=True):
        pairs = list(data.items()) if isinstance(data, dict) else list(data or [])
        if csrf and self.csrf is None:
            self.get("/login")
        if csrf:
            pairs.append(("csrf_token", self.csrf))
        body = urllib.parse.urlencode(pairs, doseq=True).encode()
        page = self._open(urllib.request.Request(self.base + path, data=body, method="POST"))
        if follow and page.status in (301, 302, 303) and page.location:
            return self.get(urllib.parse.urlsplit(page.location).path + _query(page.location))
        return page

    def post_files(
        self, path: str, data: dict | list, files: list[tuple[str, bytes]], *, follow=True
    ) -> Page:
        """A multipart/form-data POST, as a form with `<input type=file name=files>` sends it:
        `files` are (file name, bytes)."""
        import uuid

        if self.csrf is None:
            self.get("/login")
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        pairs.append(("csrf_token", self.csrf))
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in pairs:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for filename, content in files:
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            )
            parts.append(head.encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        req = urllib.request.Request(
            self.base + path,
            data=body,
            method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        page = self._open(req)
        if follow and page.status in (301, 302, 303) and page.location:
            return self.get(urllib.parse.urlsplit(page.location).path + _query(page.location))
        return page

    def download(self, path: str) -> tuple[int, bytes, dict]:
        """Status, body and headers of a download (no decoding, no redirects followed)."""
        req = urllib.request.Request(self.base + path)
        try:
            with self.opener.open(req, timeout=15) as resp:
                return resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as err:
            return err.code, err.read(), dict(err.headers)

    def login(self, username: str, password: str = PASSWORD) -> Page:
        self.get("/login")
        return self.post("/login", {"username": username, "password": password})


def _query(location: str) -> str:
    q = urllib.parse.urlsplit(location).query
    return f"?{q}" if q else ""


def make_user(username: str, role: str, *, bureau=None, operator_id=None, password=PASSWORD):
    """A user with a web password (inside an app context)."""
    from app.auth import create_user
    from app.extensions import db

    user = create_user(
        username,
        role,
        display_name=username,
        at=datetime(2026, 1, 5, tzinfo=UTC),
        bureau_code=bureau,
        operator_id=operator_id,
        password=password,
    )
    db.session.flush()
    return user
