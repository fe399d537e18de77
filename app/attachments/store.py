"""Where the bytes of evidence files live: a small interface with two adapters.

- `FolderStore` (the default): one file per key under ATTACHMENTS_DIR.
- `S3Store` (production option): any S3-compatible object storage through boto3 (installed
  separately: `pip install boto3`), bucket ATTACHMENTS_S3_BUCKET, optional
  ATTACHMENTS_S3_ENDPOINT (MinIO, Ceph, a cloud's S3 API) and ATTACHMENTS_S3_PREFIX; the
  credentials come from boto3's usual sources (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
  an instance role).

Keys are made by the app (`<case>/<random hex>`), never from a user's file name.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"^[0-9]+/[0-9a-f]{32}$")


class FileStore(Protocol):
    def put(self, key: str, data: bytes, mimetype: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


def _checked(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class FolderStore:
    """Files in a folder; written to a temporary name and renamed, so a reader never sees half
    a file."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    def put(self, key: str, data: bytes, mimetype: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Store:
    """S3-compatible object storage (boto3). Not exercised by the tests: run it against a
    bucket before relying on it (README: evidence files)."""

    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: str | None = None):
        import boto3  # an optional dependency, for this adapter only

        self.bucket, self.prefix = bucket, prefix
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None)

    def _key(self, key: str) -> str:
        return self.prefix + _checked(key)

    def put(self, key: str, data: bytes, mimetype: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=mimetype
        )

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


def store_for(config) -> FileStore:
    """The store the settings name (ATTACHMENTS_STORE: folder or s3)."""
    kind = config.get("ATTACHMENTS_STORE", "folder")
    if kind == "folder":
        return FolderStore(config["ATTACHMENTS_DIR"])
    if kind == "s3":
        return S3Store(
            config["ATTACHMENTS_S3_BUCKET"],
            prefix=config.get("ATTACHMENTS_S3_PREFIX", ""),
            endpoint_url=config.get("ATTACHMENTS_S3_ENDPOINT"),
        )
    raise ValueError(f"ATTACHMENTS_STORE must be folder or s3, not {kind!r}")


def file_store() -> FileStore:
    """The app's store (ATTACHMENTS_STORE), made once: the services write to it, the queries
    read from it."""
    from flask import current_app

    store = current_app.extensions.get("attachment_store")
    if store is None:
        store = current_app.extensions["attachment_store"] = store_for(current_app.config)
    return store
