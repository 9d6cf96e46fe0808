"""Signed checkpoints of each school's audit chain: what someone outside the database keeps.

Anyone who can lift the triggers can rewrite a chain from a changed event onwards with fresh
hashes, and no check of the chain alone can tell. A checkpoint signs a chain's head (the school,
its newest event's id and hash, how many events it holds, when) with an Ed25519 key that lives
outside the database (settings AUDIT_SIGNING_KEY_FILE or AUDIT_SIGNING_KEY). Copies go to the
chair of governors by email and onto the governors' report, so a rewrite behind any kept copy is
named by `verify_audit --checkpoint FILE`: the event at its head no longer has the hash it
signed, or the chain no longer holds as many events up to it. The same idea as Certificate
Transparency's signed tree heads.

Keys are rotated by signing with a new key and listing the old public half in
AUDIT_VERIFY_KEYS, so checkpoints signed before stay verifiable (docs/security.md).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, replace
from datetime import UTC
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.utils import timezone

from safeguard.audit.chain import ChainProblem, walk_chain
from safeguard.audit.models import AuditEvent

FORMAT = "safeguard-audit-checkpoint/1"
_SIGNED = ("format", "school", "school_name", "event", "hash", "events", "at", "key")


class SigningKeyError(Exception):
    """The signing key is missing, unreadable or not an Ed25519 key."""


class CheckpointError(Exception):
    """A checkpoint that is malformed, or that no key this installation knows signed."""


# --- keys ---------------------------------------------------------------------------------------


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> str:
    """A public key's short name: the first 16 hex digits of the SHA-256 of its 32 bytes."""
    return hashlib.sha256(_raw(public)).hexdigest()[:16]


def public_text(public: Ed25519PublicKey) -> str:
    """A public key as published: its 32 bytes in base64."""
    return base64.b64encode(_raw(public)).decode()


def private_key_from(data: bytes, source: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM (PKCS #8) or its 32 bytes in base64."""
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password=None)
        else:
            raw = base64.b64decode(data.strip(), validate=True)
            key = Ed25519PrivateKey.from_private_bytes(raw)
    except (ValueError, TypeError, binascii.Error) as error:
        raise SigningKeyError(
            f"{source} is not an Ed25519 private key (PEM, or its 32 bytes in base64)."
        ) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{source} holds a private key of another kind; Ed25519 is needed.")
    return key


def signing_key() -> Ed25519PrivateKey:
    """The installation's signing key, from the file or the environment variable settings name.
    SigningKeyError says which is missing or wrong."""
    path, text = settings.AUDIT_SIGNING_KEY_FILE, settings.AUDIT_SIGNING_KEY
    if path:
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise SigningKeyError(
                f"The audit signing key file {path} cannot be read: {error.strerror}."
            ) from error
        return private_key_from(data, f"The audit signing key file {path}")
    if text:
        return private_key_from(text.encode(), "AUDIT_SIGNING_KEY")
    raise SigningKeyError(
        "No audit signing key: set AUDIT_SIGNING_KEY_FILE to a key file (make one with "
        "`manage.py audit_key new FILE`) or AUDIT_SIGNING_KEY to the key itself."
    )


def verify_keys() -> dict[str, Ed25519PublicKey]:
    """Every public key a checkpoint may be signed with, by key id: the signing key's own half,
    and the earlier keys listed in AUDIT_VERIFY_KEYS (kept after a rotation)."""
    keys: dict[str, Ed25519PublicKey] = {}
    for n, text in enumerate(settings.AUDIT_VERIFY_KEYS, start=1):
        try:
            public = Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
        except (ValueError, binascii.Error) as error:
            raise SigningKeyError(
                f"Entry {n} of AUDIT_VERIFY_KEYS is not an Ed25519 public key (32 bytes in base64)."
            ) from error
        keys[key_id(public)] = public
    try:
        current = signing_key().public_key()
    except SigningKeyError:
        return keys  # verifying needs only public keys; signing says what is wrong
    keys[key_id(current)] = current
    return keys


# --- checkpoints --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A chain head, signed. `text()` is what is kept outside: JSON anyone can read."""

    school: int
    school_name: str
    event: int
    hash: str
    events: int
    at: dt.datetime
    key: str
    signature: str = ""

    def fields(self) -> dict:
        return {
            "format": FORMAT,
            "school": self.school,
            "school_name": self.school_name,
            "event": self.event,
            "hash": self.hash,
            "events": self.events,
            "at": self.at.astimezone(UTC).isoformat(timespec="seconds"),
            "key": self.key,
        }

    def message(self) -> bytes:
        """What the signature covers: the fields as canonical JSON."""
        return json.dumps(
            self.fields(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()

    def text(self) -> str:
        return json.dumps({**self.fields(), "signature": self.signature}, indent=2) + "\n"

    @property
    def fingerprint(self) -> str:
        """Sixteen hex digits to print and read aloud: the SHA-256 of the signed checkpoint."""
        digest = hashlib.sha256(self.message() + self.signature.encode()).hexdigest()[:16]
        return " ".join(digest[i : i + 4] for i in range(0, 16, 4)).upper()


def checkpoint_sign(checkpoint: Checkpoint, key: Ed25519PrivateKey) -> Checkpoint:
    signed = replace(checkpoint, key=key_id(key.public_key()))
    signature = base64.b64encode(key.sign(signed.message())).decode()
    return replace(signed, signature=signature)


def _field(data: dict, name: str, kind: type) -> object:
    if name not in data:
        raise CheckpointError(f"It has no {name!r}.")
    value = data[name]
    if kind is int and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise CheckpointError(f"Its {name!r} is not a whole number.")
    if kind is str and not isinstance(value, str):
        raise CheckpointError(f"Its {name!r} is not text.")
    return value


def checkpoint_parse(text: str) -> Checkpoint:
    """A checkpoint from its kept text; CheckpointError naming what is wrong with it."""
    try:
        data = json.loads(text)
    except (ValueError, TypeError) as error:
        raise CheckpointError(f"It is not a checkpoint: not JSON ({error}).") from error
    except RecursionError as error:  # brackets nested thousands deep
        raise CheckpointError("It is not a checkpoint: nested too deeply.") from error
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"It is not a Safeguard audit checkpoint (format {FORMAT!r}).")
    unknown = sorted(set(data) - {*_SIGNED, "signature"})
    if unknown:
        raise CheckpointError(f"It has fields a checkpoint does not: {', '.join(unknown)}.")
    event_hash = str(_field(data, "hash", str))
    if len(event_hash) != 64 or any(c not in "0123456789abcdef" for c in event_hash):
        raise CheckpointError("Its 'hash' is not 64 lower-case hexadecimal digits.")
    try:
        at = dt.datetime.fromisoformat(str(_field(data, "at", str)))
    except ValueError as error:
        raise CheckpointError("Its 'at' is not a date and time.") from error
    if at.tzinfo is None:
        raise CheckpointError("Its 'at' has no time zone.")
    try:
        at.astimezone(UTC)
    except OverflowError as error:  # year 1 or 9999 with an offset
        raise CheckpointError("Its 'at' is not a date Safeguard could have signed on.") from error
    return Checkpoint(
        school=int(_field(data, "school", int)),  # type: ignore[call-overload]
        school_name=str(_field(data, "school_name", str)),
        event=int(_field(data, "event", int)),  # type: ignore[call-overload]
        hash=event_hash,
        events=int(_field(data, "events", int)),  # type: ignore[call-overload]
        at=at,
        key=str(_field(data, "key", str)),
        signature=str(_field(data, "signature", str)),
    )


def checkpoint_verify_signature(checkpoint: Checkpoint) -> None:
    """CheckpointError unless a key this installation knows signed exactly this checkpoint."""
    public = verify_keys().get(checkpoint.key)
    if public is None:
        raise CheckpointError(
            f"It is signed by a key this installation does not know (key {checkpoint.key}): "
            "another installation's, or a key retired without being listed in AUDIT_VERIFY_KEYS."
        )
    try:
        public.verify(base64.b64decode(checkpoint.signature, validate=True), checkpoint.message())
    except (InvalidSignature, ValueError, binascii.Error) as error:
        raise CheckpointError(
            "Its signature does not match what it says: it was changed after it was signed, or "
            "signed by another key."
        ) from error


def chain_head_now(school_id: int) -> tuple[int, str, int] | None:
    """The school's chain head now: (event id, hash, events); None for an empty chain."""
    events = AuditEvent.objects.filter(school_id=school_id)
    head = events.order_by("-id").values_list("id", "hash").first()
    return None if head is None else (head[0], head[1], events.count())


def checkpoint_problems(checkpoint: Checkpoint, *, with_chain: bool = True) -> list[ChainProblem]:
    """What is wrong with the school's chain now, held to a checkpoint whose signature was
    checked: every fault of the chain itself (unless `with_chain` is False, for a caller that
    walks it anyway), and whether it still extends the checkpoint (the event at its head, with
    the hash it signed, and as many events up to it)."""
    school = checkpoint.school
    when = timezone.localtime(checkpoint.at)
    signed = f"the checkpoint signed on {when:%d %b %Y at %H:%M}"
    upto = AuditEvent.objects.filter(school_id=school, id__lte=checkpoint.event)
    found = upto.filter(id=checkpoint.event).values_list("hash", flat=True).first()
    now = upto.count()
    problems = walk_chain(2000, school_id=school).problems if with_chain else []
    if found is None:
        problems.append(
            ChainProblem(
                checkpoint.event,
                f"event {checkpoint.event}, the head of {signed}, is missing: the chain was cut "
                "back or rewritten behind the checkpoint",
                school,
            )
        )
    elif found != checkpoint.hash:
        problems.append(
            ChainProblem(
                checkpoint.event,
                f"the chain was rewritten behind {signed}: event {checkpoint.event} now has the "
                f"hash {found[:16]}…, the checkpoint signed {checkpoint.hash[:16]}…",
                school,
            )
        )
    if now != checkpoint.events:
        how = "removed" if now < checkpoint.events else "added"
        problems.append(
            ChainProblem(
                checkpoint.event,
                f"the chain holds {now} events up to event {checkpoint.event}, {signed} "
                f"{checkpoint.events}: events were {how} behind it",
                school,
            )
        )
    return problems
