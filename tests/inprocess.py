"""The app answering HTTP requests in the test process, without a socket.

`serve(app)` gives the app a base URL (http://app-N.test) that urllib (urlopen, and the openers
of tests/functional/web.py and http.py) sends into the app's WSGI callable, as the live server
would: the same request line, headers, body, cookies and redirects, the answer's status, headers
and body; only the socket and the server thread are left out. Each request runs in a fresh
context, so it has its own app context and database session, as a request in a server thread
has, even when the test holds an app context of its own. Tests that need a real socket
(chromium, a raw HTTP connection) use the `real_server` fixture."""

from __future__ import annotations

import contextvars
import http.client
import io
import itertools
import urllib.request
import urllib.response
from collections.abc import Iterator
from urllib.parse import urlsplit

from werkzeug.test import EnvironBuilder, run_wsgi_app

_apps: dict[str, object] = {}
_numbers = itertools.count(1)


class InProcessHandler(urllib.request.BaseHandler):
    """Answers http:// requests to a served app's host from the app itself; other hosts go on
    to urllib's own HTTP handler."""

    handler_order = 100  # before HTTPHandler (500)

    def http_open(self, req: urllib.request.Request):
        app = _apps.get(req.host)
        if app is None:
            return None
        return _answer(app, req)


def _answer(app, req: urllib.request.Request) -> urllib.response.addinfourl:
    url = urlsplit(req.full_url)
    data = req.data
    if data is not None and not isinstance(data, bytes):  # a file or an iterable of bytes
        data = data.read() if hasattr(data, "read") else b"".join(data)
    headers = [(k, v) for k, v in req.header_items() if k.lower() != "host"]
    builder = EnvironBuilder(
        path=url.path or "/",
        query_string=url.query,
        method=req.get_method(),
        base_url=f"http://{req.host}",
        headers=headers,
        data=data,
        environ_base={"REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000"},
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    # A fresh context: no app context or session of the test leaks into the request.
    body, status, answer_headers = contextvars.Context().run(_call, app, environ)
    message = http.client.HTTPMessage()
    for name, value in answer_headers.items():
        message[name] = value
    code = int(status.split(" ", 1)[0])
    response = urllib.response.addinfourl(io.BytesIO(body), message, req.full_url, code)
    response.msg = status.split(" ", 1)[1] if " " in status else ""
    return response


def _call(app, environ) -> tuple[bytes, str, object]:
    app_iter, status, headers = run_wsgi_app(app, environ, buffered=True)
    try:
        body = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close:
            close()
    return body, status, headers


def opener(*handlers: urllib.request.BaseHandler) -> urllib.request.OpenerDirector:
    """An opener that reaches served apps (and real hosts) with the given extra handlers."""
    return urllib.request.build_opener(InProcessHandler(), *handlers)


def serve(app) -> Iterator[str]:
    """The base URL of `app` answering in process, for the duration of the fixture; plain
    `urllib.request.urlopen` reaches it too."""
    host = f"app-{next(_numbers)}.test"
    _apps[host] = app
    previous = urllib.request._opener  # what urlopen uses (None: urllib builds its default)
    urllib.request.install_opener(opener())
    try:
        yield f"http://{host}"
    finally:
        _apps.pop(host, None)
        urllib.request.install_opener(previous)
