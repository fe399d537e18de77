"""How far long work done by the worker has got (a classification run asked for on the admin
page), for that page's progress bar.

A run is one transaction that holds its request row locked until it ends, so what it has done
cannot be read from the database by anyone else while it goes on (and on SQLite a second writer
would wait for it). Its progress is written instead to a small JSON file per request in the
instance folder (`PROGRESS_DIR`), replaced atomically after each batch; the web app reads it
there. The worker and the web app therefore share that folder (one host, or a shared volume);
where they do not, the page shows the request as queued until it is done, as before."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)


def _folder() -> Path:
    configured = current_app.config.get("PROGRESS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "progress"


def _path(kind: str, key: int | str) -> Path:
    return _folder() / f"{kind}-{key}.json"


def write(kind: str, key: int | str, done: int, total: int) -> None:
    """Record `done` of `total`; a reader sees the previous figures or these, never half."""
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".progress-")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump({"done": done, "total": total}, fh)
        os.replace(tmp, _path(kind, key))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read(kind: str, key: int | str) -> tuple[int, int] | None:
    """(done, total) as last written, or None when the work has not started (or is over)."""
    try:
        data = json.loads(_path(kind, key).read_text())
        return int(data["done"]), int(data["total"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def clear(kind: str, key: int | str) -> None:
    _path(kind, key).unlink(missing_ok=True)


class Tracker:
    """The `progress` callback of a long job: adds up what each batch reports and writes it.
    A folder that cannot be written costs the progress bar, never the job."""

    def __init__(self, kind: str, key: int | str, total: int):
        self.kind, self.key, self.total, self.done = kind, key, total, 0
        self.broken = False

    def _write(self) -> None:
        if self.broken:
            return
        try:
            write(self.kind, self.key, self.done, self.total)
        except OSError as exc:
            self.broken = True
            log.warning("progress of %s %s not recorded: %s", self.kind, self.key, exc)

    def start(self) -> None:
        self._write()

    def advance(self, n: int) -> None:
        self.done = min(self.done + n, self.total)
        self._write()

    def clear(self) -> None:
        with contextlib.suppress(OSError):
            clear(self.kind, self.key)
