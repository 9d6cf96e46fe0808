"""Issue 19: the chair of governors keeps the checkpoint the installation emailed, and later
proves on the audit page that the school's trail still extends it; the signing key's public half
is open to anyone."""

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction

from safeguard.audit.checkpoints import public_text
from safeguard.audit.selectors import as_checkpoint
from safeguard.audit.services import audit_checkpoint_sign, audit_record


def test_the_chair_proves_the_trail_extends_a_kept_checkpoint(people, chair, settings):
    key = Ed25519PrivateKey.generate()
    settings.AUDIT_SIGNING_KEY = base64.b64encode(key.private_bytes_raw()).decode()
    settings.AUDIT_SIGNING_KEY_FILE = ""
    with transaction.atomic():
        audit_record(actor=None, school=chair.school, action="staff.update", object_ref="X-1")
    kept = as_checkpoint(audit_checkpoint_sign(actor=None, school=chair.school, key=key))

    anne = people(chair)
    anne.open("/audit/")
    anne.sees(f"Latest signed checkpoint: {kept.fingerprint}")
    anne.follow("Check a kept checkpoint")
    anne.field("A kept checkpoint").fill("{not a checkpoint")
    anne.click("Check")
    anne.sees("It is not a checkpoint: not JSON")
    anne.field("A kept checkpoint").fill(kept.text())
    anne.click("Check")
    anne.sees("The trail extends this checkpoint", kept.fingerprint)
    anne.screenshot("audit-checkpoint-check")
    anne.follow("Back to the audit trail")
    anne.follow("The signing key")
    anne.sees(public_text(key.public_key()), "Signs new checkpoints")
