"""The scope catalogue of Art. 2 (R-SCOPE), read from data/scope/excluded_products.yaml.

The file is read once and again only when it changes, so an administrator who adds a name
to it does not need to restart the application. SCOPE_CATALOGUE in the configuration points
at another file."""

from __future__ import annotations

import threading
from pathlib import Path

import yaml
from flask import current_app, has_app_context

from app.scoring.scope import ScopeCatalogue, parse_catalogue

from .reference import ROOT

DEFAULT_CATALOGUE = ROOT / "data" / "scope" / "excluded_products.yaml"

_lock = threading.Lock()
_cache: dict[Path, tuple[float, ScopeCatalogue]] = {}


def catalogue_path() -> Path:
    configured = current_app.config.get("SCOPE_CATALOGUE") if has_app_context() else None
    return Path(configured) if configured else DEFAULT_CATALOGUE


def scope_catalogue() -> ScopeCatalogue:
    """The catalogue in force (a malformed file raises CatalogueError: better no import than
    one decided against a broken catalogue)."""
    path = catalogue_path()
    mtime = path.stat().st_mtime
    with _lock:
        cached = _cache.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
    catalogue = parse_catalogue(yaml.safe_load(path.read_text(encoding="utf-8")))
    with _lock:
        _cache[path] = (mtime, catalogue)
    return catalogue
