"""An email address as an identity: one normal form, used wherever an address names an account.

Storing, signing in, the sign-in lockout's key and single sign-on all compare this form exactly,
never through the database's case folding: PostgreSQL's UPPER() maps a dotless ı to I, so a
look-alike address once matched the real account while the lockout, keyed in Python, counted it
apart (docs/security.md, "Signing in").
"""

import unicodedata

LOOKALIKE_MESSAGE = (
    "Use the address with plain letters only (a to z, digits and . _ - + @): this one contains "
    "a character that can look like another, such as a dotless ı or a Cyrillic а."
)


def normal_email(address: str | None) -> str:
    """The address in its one stored form: surrounding space removed, Unicode NFKC (a
    full-width ａ becomes a), then case folded (so ß is ss and any capital its small letter)."""
    return unicodedata.normalize("NFKC", (address or "").strip()).casefold()


def is_lookalike(address: str) -> bool:
    """True when the normal form still holds anything but ASCII: a letter that can pass for
    another (ı, Cyrillic а, Greek ο). Such addresses are refused for new and changed accounts."""
    return not normal_email(address).isascii()
