"""Uploaded files kept in the database (StoredUpload), so that every app server reads what any
other wrote with no shared folder and nothing written to the server's own disk. It is the
"uploads" storage unless settings choose a folder (UPLOAD_STORAGE); docs/performance.md.

Nothing here serves a file: there is no URL, and no local path. The views that check
permission read through django.core.files.storage.storages["uploads"] (safeguard.core.uploads).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import IO, Any

from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.utils.deconstruct import deconstructible

from safeguard.core.models import StoredUpload


@deconstructible
class DatabaseStorage(Storage):
    """A flat namespace of names, each holding its bytes in one row."""

    def _open(self, name: str, mode: str = "rb") -> File[Any]:
        if any(flag in mode for flag in "wax+"):
            # Files are written whole through save(); an open file is only ever read.
            raise ValueError("database-stored files are opened for reading only")
        row = StoredUpload.objects.filter(name=name).values_list("content", flat=True).first()
        if row is None:
            raise FileNotFoundError(name)
        # PostgreSQL hands back a memoryview, SQLite bytes.
        buffer: IO[bytes] = io.BytesIO(bytes(row))
        return File(buffer, name=name)

    def _save(self, name: str, content: File[Any]) -> str:
        data = b"".join(
            chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in content.chunks()
        )
        while True:
            try:
                # A savepoint, so a name taken meanwhile leaves the caller's transaction usable.
                with transaction.atomic():
                    StoredUpload.objects.create(name=name, content=data, size=len(data))
            except IntegrityError:
                if not self.exists(name):
                    raise
                name = self.get_available_name(name)
            else:
                return name

    def delete(self, name: str) -> None:
        StoredUpload.objects.filter(name=name).delete()

    def exists(self, name: str) -> bool:
        return StoredUpload.objects.filter(name=name).exists()

    def existing(self, names: Iterable[str]) -> set[str]:
        """Which of these names are stored, in one query."""
        return set(StoredUpload.objects.filter(name__in=list(names)).values_list("name", flat=True))

    def size(self, name: str) -> int:
        size = StoredUpload.objects.filter(name=name).values_list("size", flat=True).first()
        if size is None:
            raise FileNotFoundError(name)
        return size

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        """The names under `path` ("" for all): names with a "/" are shown as folders."""
        prefix = f"{path.rstrip('/')}/" if path else ""
        names = StoredUpload.objects.filter(name__startswith=prefix).values_list("name", flat=True)
        folders: set[str] = set()
        files: list[str] = []
        for name in names:
            rest = name[len(prefix) :]
            head, slash, _ = rest.partition("/")
            if slash:
                folders.add(head)
            else:
                files.append(rest)
        return sorted(folders), sorted(files)

    def get_created_time(self, name: str) -> dt.datetime:
        created = StoredUpload.objects.filter(name=name).values_list("created_at", flat=True)
        when = created.first()
        if when is None:
            raise FileNotFoundError(name)
        return when

    # A stored file is never changed, only replaced by a new name.
    get_modified_time = get_created_time
