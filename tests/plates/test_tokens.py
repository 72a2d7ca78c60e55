"""Plate tokens: entropy from ``secrets``, Crockford base32, forgiving reading."""

from __future__ import annotations

import secrets

import pytest

from doorplate.plates import tokens

CROCKFORD = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def test_tokens_are_16_uppercase_crockford_characters_and_unique_over_100k() -> None:
    issued = tokens.new_tokens(100_000)
    assert len(issued) == 100_000
    assert all(len(t) == 16 and set(t) <= CROCKFORD for t in issued)
    assert len(set(issued)) == len(issued)
    # 80 bits spread over all 32 symbols: every symbol appears in every position.
    for position in range(16):
        assert {t[position] for t in issued} == CROCKFORD


def test_entropy_comes_from_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replacing ``secrets.token_bytes`` changes the tokens: it is the only source of randomness."""
    calls: list[int] = []

    def fake_token_bytes(n: int) -> bytes:
        calls.append(n)
        return bytes(range(n))

    monkeypatch.setattr(secrets, "token_bytes", fake_token_bytes)
    first = tokens.new_tokens(2)
    assert calls == [20]  # 10 bytes = 80 bits per token
    assert first == tokens.new_tokens(2)  # deterministic once the source is
    assert first[0] == "000G40R40M30E209"  # bytes 0..9 in Crockford base32


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7KQ2M9XW4T1HVB3R", "7KQ2M9XW4T1HVB3R"),
        ("7kq2m9xw4t1hvb3r", "7KQ2M9XW4T1HVB3R"),
        ("7KQ2-M9XW-4T1H-VB3R", "7KQ2M9XW4T1HVB3R"),
        ("7KQ2 M9XW 4TIH VB3R", "7KQ2M9XW4T1HVB3R"),  # I read as 1
        ("7KQ2M9XW4TlHVB3R", "7KQ2M9XW4T1HVB3R"),  # l read as 1
        ("7KQ2M9XW4T1HVB3O", "7KQ2M9XW4T1HVB30"),  # O read as 0
        ("7KQ2M9XW4T1HVB3U", None),  # U is not in the alphabet
        ("7KQ2M9XW4T1HVB3", None),
        ("7KQ2M9XW4T1HVB3RR", None),
        ("../../etc/passwd", None),
        ("", None),
    ],
)
def test_normalise_accepts_case_groups_and_lookalikes(typed: str, expected: str | None) -> None:
    assert tokens.normalise(typed) == expected


def test_plate_url_is_uppercase_for_qr_alphanumeric_mode() -> None:
    url = tokens.plate_url("https://dp.cncn.gov.cn/", "7KQ2M9XW4T1HVB3R")
    assert url == "HTTPS://DP.CNCN.GOV.CN/P/7KQ2M9XW4T1HVB3R"
    assert len(url) == 41
    assert tokens.grouped("7KQ2M9XW4T1HVB3R") == "7KQ2-M9XW-4T1H-VB3R"
