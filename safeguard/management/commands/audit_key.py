from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguard.audit.checkpoints import SigningKeyError, key_id, public_text, signing_key


class Command(BaseCommand):
    help = (
        "The audit checkpoints' signing key: `new FILE` makes an Ed25519 key in FILE (readable "
        "by its owner only; never overwritten); `show` prints the public half of the key "
        "settings name, to publish."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        new = sub.add_parser("new", help="Make a new signing key in FILE.")
        new.add_argument("file", type=Path)
        sub.add_parser("show", help="Print the signing key's public half and key id.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "new":
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            path: Path = options["file"]
            try:
                with path.open("xb") as out:  # never overwrite a key in use
                    path.chmod(0o600)
                    out.write(pem)
            except FileExistsError as error:
                raise CommandError(f"{path} exists already: a key is never overwritten.") from error
            except OSError as error:
                raise CommandError(f"Cannot write {path}: {error.strerror}.") from error
            self.stdout.write(
                f"Wrote a new signing key to {path}. Set AUDIT_SIGNING_KEY_FILE={path}."
            )
        else:
            try:
                key = signing_key()
            except SigningKeyError as error:
                raise CommandError(str(error)) from error
        public = key.public_key()
        self.stdout.write(f"Key id: {key_id(public)}")
        self.stdout.write(f"Public key (Ed25519, base64): {public_text(public)}")
