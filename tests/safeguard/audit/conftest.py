import io

import pytest
from django.core.management import call_command


@pytest.fixture
def key_file(tmp_path, settings):
    """A new checkpoint signing key in a file, the one settings name."""
    path = tmp_path / "signing.pem"
    call_command("audit_key", "new", str(path), stdout=io.StringIO())
    settings.AUDIT_SIGNING_KEY_FILE = str(path)
    settings.AUDIT_SIGNING_KEY = ""
    settings.AUDIT_VERIFY_KEYS = []
    return path
