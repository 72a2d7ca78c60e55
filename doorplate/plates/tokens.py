"""Plate tokens: 80 random bits from ``secrets``, written as 16 uppercase Crockford base32 chars.

Uppercase matters: with the whole URL in uppercase, a QR code can use alphanumeric mode, which
fits ECC level H in a smaller symbol (bigger modules at the same print size). Crockford's alphabet
has no I, L, O or U, so people typing a token from the plate can't confuse 1/I/L or 0/O; the look-
alikes are mapped back when a token is read.
"""

from __future__ import annotations

import base64
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TOKEN_BITS = 80
TOKEN_LENGTH = TOKEN_BITS // 5
# base64's RFC 4648 base32 runs in C; mapping its alphabet onto Crockford's keeps issuing 420,000
# plates in an import cheap.
_FROM_RFC4648 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET)
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = str.maketrans("", "", "- ")


def new_tokens(count: int) -> list[str]:
    """``count`` fresh random tokens (10 random bytes each encode to exactly 16 characters)."""
    text = base64.b32encode(secrets.token_bytes(count * TOKEN_BITS // 8)).decode()
    text = text.translate(_FROM_RFC4648)
    return [text[i : i + TOKEN_LENGTH] for i in range(0, len(text), TOKEN_LENGTH)]


def new_token() -> str:
    """A fresh random token."""
    return new_tokens(1)[0]


def normalise(raw: str) -> str | None:
    """The canonical token for what someone scanned or typed, or None if it cannot be one."""
    return canonical(raw, TOKEN_LENGTH)


def canonical(raw: str, length: int) -> str | None:
    """``raw`` as ``length`` Crockford characters, or None if it cannot be such a code.

    Accepts any case, Crockford look-alikes (O→0, I/L→1) and the hyphens or spaces of the grouped
    form printed for people (plate tokens, booking references).
    """
    code = raw.translate(_SEPARATORS).upper().translate(_LOOKALIKES)
    if len(code) != length or any(c not in ALPHABET for c in code):
        return None
    return code


def plate_url(base_url: str, token: str) -> str:
    """The URL a plate encodes, entirely uppercase (scheme and host are case-insensitive)."""
    return f"{base_url.rstrip('/')}/P/{token}".upper()


def grouped(token: str) -> str:
    """The token as printed for people: ``7KQ2-M9XW-4T1H-VB3R``."""
    return "-".join(token[i : i + 4] for i in range(0, len(token), 4))
