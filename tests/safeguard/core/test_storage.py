"""The database storage of uploaded files: what one instance writes another reads (as a second
app server would), nothing reaches the server's own disk, and a removed file is gone."""

import datetime as dt
import io

import pytest
from django.core.files.base import ContentFile, File

from safeguard.core.models import StoredUpload
from safeguard.core.storage import DatabaseStorage

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"


def test_a_file_saved_by_one_instance_is_read_whole_by_another():
    name = DatabaseStorage().save("a1b2.pdf", ContentFile(PDF))

    reader = DatabaseStorage()
    assert name == "a1b2.pdf"
    assert reader.exists(name)
    assert reader.size(name) == len(PDF)
    with reader.open(name) as stored:
        assert stored.read() == PDF
    row = StoredUpload.objects.get(name=name)
    assert (bytes(row.content), row.size) == (PDF, len(PDF))


def test_a_file_read_in_chunks_is_saved_whole():
    source = File(io.BytesIO(PDF), name="scan.pdf")
    name = DatabaseStorage().save("scan.pdf", source)
    with DatabaseStorage().open(name) as stored:
        assert b"".join(stored.chunks(chunk_size=1000)) == PDF


def test_a_name_already_taken_gets_a_new_one_and_the_first_file_is_kept():
    storage = DatabaseStorage()
    first = storage.save("same.pdf", ContentFile(b"first"))
    second = storage.save("same.pdf", ContentFile(b"second"))
    assert first == "same.pdf"
    assert second != first
    assert storage.open(first).read() == b"first"
    assert storage.open(second).read() == b"second"


def test_a_name_taken_between_the_check_and_the_write_gets_a_new_one(monkeypatch):
    storage = DatabaseStorage()
    StoredUpload.objects.create(name="raced.pdf", content=b"theirs", size=6)
    # The name looked free when save() asked, then another server wrote it.
    real_exists = storage.exists
    asked: list[str] = []

    def exists(name):
        asked.append(name)
        return len(asked) > 1 and real_exists(name)

    monkeypatch.setattr(storage, "exists", exists)
    name = storage.save("raced.pdf", ContentFile(b"ours"))
    assert name != "raced.pdf"
    assert storage.open(name).read() == b"ours"
    assert storage.open("raced.pdf").read() == b"theirs"
    assert asked[:2] == ["raced.pdf", "raced.pdf"]  # free at first, then found taken


def test_a_missing_file_is_not_found_rather_than_empty():
    storage = DatabaseStorage()
    with pytest.raises(FileNotFoundError):
        storage.open("gone.pdf")
    with pytest.raises(FileNotFoundError):
        storage.size("gone.pdf")
    with pytest.raises(FileNotFoundError):
        storage.get_created_time("gone.pdf")
    assert not storage.exists("gone.pdf")


def test_a_stored_file_is_opened_for_reading_only():
    storage = DatabaseStorage()
    storage.save("kept.pdf", ContentFile(PDF))
    for mode in ("wb", "ab", "r+b", "xb"):
        with pytest.raises(ValueError, match="reading only"):
            storage.open("kept.pdf", mode)


def test_deleting_removes_the_content_and_a_second_delete_is_no_error():
    storage = DatabaseStorage()
    storage.save("old.pdf", ContentFile(PDF))
    storage.delete("old.pdf")
    assert not StoredUpload.objects.filter(name="old.pdf").exists()
    storage.delete("old.pdf")


def test_nothing_has_a_local_path_or_an_address():
    storage = DatabaseStorage()
    storage.save("private.pdf", ContentFile(PDF))
    with pytest.raises(NotImplementedError):
        storage.path("private.pdf")
    with pytest.raises(NotImplementedError):
        storage.url("private.pdf")


def test_listing_existing_and_times():
    storage = DatabaseStorage()
    for name in ("b.pdf", "a.png", "held/c.pdf"):
        storage.save(name, ContentFile(b"x"))
    assert storage.listdir("") == (["held"], ["a.png", "b.pdf"])
    assert storage.listdir("held") == ([], ["c.pdf"])
    assert storage.existing(["a.png", "held/c.pdf", "gone.pdf"]) == {"a.png", "held/c.pdf"}
    created = storage.get_created_time("a.png")
    assert isinstance(created, dt.datetime)
    assert storage.get_modified_time("a.png") == created
