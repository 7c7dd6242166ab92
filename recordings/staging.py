"""The local staging folder: received bytes wait here (durably) for the pipeline.

Layout: ``INGEST_STAGING_DIR/<tenant_id>/<ingest_id><ext>``; ``tmp/`` holds downloads of
objects staged in the store while they are analysed. Every file is fsynced and its directory
too before the ingest row that names it is committed, so an acknowledged push survives a
power cut.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import uuid
from pathlib import Path

from django.conf import settings

from .storage import fsync_dir

EXTENSION_RE = re.compile(r"^\.[a-z0-9]{1,5}$")


def root() -> Path:
    return Path(settings.INGEST_STAGING_DIR)


def temp_dir() -> Path:
    path = root() / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


def safe_extension(filename: str) -> str:
    """``.wav`` for ``Call 17.WAV``; empty when the name has no plausible audio extension."""
    suffix = Path(filename or "").suffix.lower()
    return suffix if EXTENSION_RE.match(suffix) else ""


def staged_name(*, tenant_id: int, ingest_id, extension: str) -> str:
    return f"{tenant_id}/{ingest_id}{extension}"


def path(name: str) -> Path:
    """The absolute path of a staged name; refuses names that leave the staging folder."""
    if not name or name.startswith("/") or ".." in Path(name).parts:
        raise ValueError(f"invalid staged name {name!r}")
    return root() / name


def fsync_file(file_path) -> None:
    fd = os.open(file_path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def move_in(source, name: str) -> Path:
    """Move ``source`` to the staged ``name`` durably; copies when it lives on another
    filesystem. Raises FileNotFoundError when ``source`` is gone."""
    target = path(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            shutil.copyfile(source, tmp)
            fsync_file(tmp)
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
        Path(source).unlink(missing_ok=True)
        fsync_dir(Path(source).parent)
    else:
        fsync_file(target)
    fsync_dir(target.parent)
    return target


def remove(name: str) -> None:
    if name:
        path(name).unlink(missing_ok=True)
