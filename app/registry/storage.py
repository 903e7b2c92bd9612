"""The storage interface for binaries (photos, signatures, scans, PDFs). The database is the
default backend; a folder outside the web root is the other (STORAGE_BACKEND=folder); an
S3-compatible store would be a third class with the same two methods."""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import current_app

from ..extensions import db
from ..models import StoredFile


class DatabaseStorage:
    def write(self, stored: StoredFile, content: bytes) -> None:
        stored.data = content

    def read(self, stored: StoredFile) -> bytes:
        return stored.data or b""


class FolderStorage:
    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, stored: StoredFile) -> Path:
        return self.root / stored.sha256[:2] / stored.sha256

    def write(self, stored: StoredFile, content: bytes) -> None:
        path = self._path(stored)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_bytes(content)
        stored.data = None

    def read(self, stored: StoredFile) -> bytes:
        return self._path(stored).read_bytes()


def backend():
    config = current_app.config
    if config.get("STORAGE_BACKEND", "database") == "folder":
        return FolderStorage(config["STORAGE_FOLDER"])
    return DatabaseStorage()


def save(content: bytes, content_type: str) -> StoredFile:
    """Store `content` (already validated and re-encoded) and return its row (not committed)."""
    stored = StoredFile(sha256=hashlib.sha256(content).hexdigest(), content_type=content_type,
                        size=len(content))
    backend().write(stored, content)
    db.session.add(stored)
    db.session.flush()
    return stored


def load(stored: StoredFile) -> bytes:
    return backend().read(stored)
