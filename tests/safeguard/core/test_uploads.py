"""Uploaded files through the "uploads" storage, the same with either backend that settings
offer (UPLOAD_STORAGE): the database by default, or a folder."""

import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, storages
from django.core.files.uploadedfile import SimpleUploadedFile

from safeguard.core import uploads
from safeguard.core.storage import DatabaseStorage
from tests.helpers import StoredUploads

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture(params=["database", "filesystem"])
def backend(request, settings, tmp_path):
    """Each test runs against both backends."""
    if request.param == "filesystem":
        folder = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "uploads")},
        }
    else:
        folder = {"BACKEND": "safeguard.core.storage.DatabaseStorage"}
    settings.STORAGES = {**settings.STORAGES, "uploads": folder}
    return request.param


def _pdf(name="letter.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.mark.skipif(
    "UPLOAD_STORAGE" in os.environ, reason="UPLOAD_STORAGE chooses the backend for this run"
)
def test_the_default_backend_is_the_database():
    assert isinstance(storages["uploads"], DatabaseStorage)


def test_the_backend_chosen_is_the_one_used(backend):
    expected = DatabaseStorage if backend == "database" else FileSystemStorage
    assert isinstance(uploads.upload_storage(), expected)


def test_a_stored_upload_reads_back_under_its_random_name(backend):
    stored = uploads.store_upload(_pdf("Scan 1.pdf"), allowed=("pdf",), field="document")
    assert stored.stored_name.endswith(".pdf")
    assert stored.stored_name != "Scan 1.pdf"
    assert (stored.original_name, stored.content_type) == ("Scan 1.pdf", "application/pdf")
    with uploads.open_stored(stored.stored_name) as opened:
        assert opened.read() == PDF
    assert uploads.stored_present([stored.stored_name, "0" * 32 + ".pdf"]) == {stored.stored_name}


def test_a_removed_upload_is_gone(backend):
    stored = uploads.store_upload(_pdf(), allowed=("pdf",), field="document")
    uploads.discard(stored)
    assert uploads.stored_present([stored.stored_name]) == set()
    with pytest.raises(FileNotFoundError):
        uploads.open_stored(stored.stored_name)
    uploads.remove_stored(stored.stored_name)  # already gone: no error


@pytest.mark.parametrize("name", ["../settings.py", "a/b.pdf", ".hidden", "a\\b.pdf", ""])
def test_a_name_that_is_not_ours_is_never_looked_for(backend, name):
    with pytest.raises(ValueError, match="bad stored file name"):
        uploads.open_stored(name)
    with pytest.raises(ValueError, match="bad stored file name"):
        uploads.remove_stored(name)
    assert uploads.stored_present([name]) == set()


def test_the_type_and_size_checks_come_before_anything_is_stored(backend, settings):
    with pytest.raises(ValidationError, match="not one"):
        uploads.store_upload(_pdf("a.png", PDF), allowed=("pdf", "png"), field="f")
    with pytest.raises(ValidationError, match="not one"):
        uploads.store_upload(_pdf("a.pdf", PNG), allowed=("pdf",), field="f")
    settings.UPLOAD_MAX_BYTES = len(PDF) - 1
    with pytest.raises(ValidationError, match="larger than the limit"):
        uploads.store_upload(_pdf(), allowed=("pdf",), field="f")
    assert StoredUploads().names() == []
