"""Uploaded files: checked by their content, stored under a random name in the "uploads"
storage (settings STORAGES: the database unless UPLOAD_STORAGE chooses a folder), never in a
web root, and only ever served by a view that checks the same permissions as the record they
belong to. Every read and write of a stored file goes through the functions here."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.core.files.uploadedfile import UploadedFile

UPLOADS = "uploads"

# The first bytes each allowed type must start with; the name alone proves nothing.
SIGNATURES: dict[str, tuple[bytes, str, tuple[str, ...]]] = {
    "pdf": (b"%PDF-", "application/pdf", (".pdf",)),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    "jpeg": (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
}


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    original_name: str
    content_type: str


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n / 1024:g} KB"


def upload_storage() -> Storage:
    return storages[UPLOADS]


def check_upload(upload: UploadedFile, *, allowed: tuple[str, ...], field: str) -> str:
    """Return the detected type, or raise ValidationError naming the field."""
    names = ", ".join(t.upper() for t in allowed)
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError({field: f"The file is larger than the limit of {_size(limit)}."})
    head = upload.read(16)
    upload.seek(0)
    suffix = Path(upload.name or "").suffix.lower()
    for kind in allowed:
        signature, _type, suffixes = SIGNATURES[kind]
        if head.startswith(signature) and suffix in suffixes:
            return kind
    raise ValidationError({field: f"Upload a {names} file; this file is not one."})


def store_upload(upload: UploadedFile, *, allowed: tuple[str, ...], field: str) -> StoredFile:
    kind = check_upload(upload, allowed=allowed, field=field)
    wanted = f"{secrets.token_hex(16)}{SIGNATURES[kind][2][0]}"
    stored_name = upload_storage().save(wanted, upload)
    original = Path(upload.name or "file").name[:200]
    return StoredFile(stored_name, original, SIGNATURES[kind][1])


def _ours(stored_name: str) -> bool:
    # Stored names are ours (hex + suffix); refuse anything that could walk out of the folder.
    return bool(stored_name) and not (
        "/" in stored_name or "\\" in stored_name or stored_name.startswith(".")
    )


def _checked(stored_name: str) -> str:
    if not _ours(stored_name):
        raise ValueError("bad stored file name")
    return stored_name


def open_stored(stored_name: str) -> File[Any]:
    """The stored file, open for reading: FileNotFoundError if it is gone, ValueError if the
    name is not one this module gave."""
    return upload_storage().open(_checked(stored_name), "rb")


def stored_present(stored_names: Iterable[str]) -> set[str]:
    """Which of these files are still stored (in one query when the database holds them). A
    name this module did not give is never looked for."""
    names = {name for name in stored_names if _ours(name)}
    storage = upload_storage()
    from safeguard.core.storage import DatabaseStorage

    if isinstance(storage, DatabaseStorage):
        return storage.existing(names)
    return {name for name in names if storage.exists(name)}


def remove_stored(stored_name: str) -> None:
    """Remove a stored file; one already gone is no error."""
    upload_storage().delete(_checked(stored_name))


def discard(stored: StoredFile | None) -> None:
    """Remove a file whose record was never saved."""
    if stored is not None:
        remove_stored(stored.stored_name)
