"""Uploaded files: checked by their content, stored outside every web root under a random name,
and only ever served by a view that checks the same permissions as the record they belong to."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

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


def _root() -> Path:
    root = Path(settings.PRIVATE_UPLOAD_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    return root


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
    stored_name = f"{secrets.token_hex(16)}{SIGNATURES[kind][2][0]}"
    with (_root() / stored_name).open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    original = Path(upload.name or "file").name[:200]
    return StoredFile(stored_name, original, SIGNATURES[kind][1])


def stored_path(stored_name: str) -> Path:
    # Stored names are ours (hex + suffix); refuse anything that could walk out of the folder.
    if "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise ValueError("bad stored file name")
    return _root() / stored_name


def discard(stored: StoredFile | None) -> None:
    """Remove a file whose record was never saved."""
    if stored is not None:
        stored_path(stored.stored_name).unlink(missing_ok=True)
