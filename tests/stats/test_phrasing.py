"""How report figures are worded, checked against the seed report's own figures."""

from __future__ import annotations

import pytest

from doorplate.stats.phrasing import Hedge, Phrase, Style, en, phrase, zh

ROUNDED, EXACT = Style.ROUNDED, Style.EXACT


@pytest.mark.parametrize(
    ("n", "style", "chinese", "english"),
    [
        # The seed report: 42万户, 近50万人次, 6531条, 32227件次.
        (420_000, ROUNDED, "42万", "420,000"),
        (496_310, ROUNDED, "近50万", "nearly 500,000"),
        (6_531, ROUNDED, "6531", "6,531"),
        (6_531, EXACT, "6531", "6,531"),
        (32_227, EXACT, "32227", "32,227"),
        # The same figure rounded, had the report chosen so: 32,227 is not within 1% of 3万.
        (32_227, ROUNDED, "约3.22万", "about 32,200"),
        # The case: within 1% of 42万, so 近42万 rather than 41.99万.
        (419_873, ROUNDED, "近42万", "nearly 420,000"),
        (419_873, EXACT, "419873", "419,873"),
        # Boundaries of 万.
        (0, ROUNDED, "0", "0"),
        (9_999, ROUNDED, "9999", "9,999"),
        (10_000, ROUNDED, "1万", "10,000"),
        (10_001, ROUNDED, "超1万", "over 10,000"),
        (500_000, ROUNDED, "50万", "500,000"),
        # Boundaries of 近/超: within 1% inclusive.
        (495_000, ROUNDED, "近50万", "nearly 500,000"),
        (494_999, ROUNDED, "约49.5万", "about 495,000"),
        (504_999, ROUNDED, "超50万", "over 500,000"),
        # Halfway, the nearest whole 万 is the one above (half up), and within 1% of it.
        (505_000, ROUNDED, "近51万", "nearly 510,000"),
        (514_999, ROUNDED, "超51万", "over 510,000"),
        # From 50万 up every figure is within 1% of a whole 万: never 约.
        (515_100, ROUNDED, "近52万", "nearly 520,000"),
        # Outside 1%: two decimals of 万, bare when exact, 约 when rounded.
        (415_500, ROUNDED, "41.55万", "415,500"),
        (415_549, ROUNDED, "约41.55万", "about 415,500"),
        (415_550, ROUNDED, "约41.56万", "about 415,600"),
        (12_345, ROUNDED, "约1.23万", "about 12,300"),
        (4_250_000, ROUNDED, "425万", "4,250,000"),
        (4_255_000, ROUNDED, "近426万", "nearly 4,260,000"),
    ],
)
def test_figures_are_worded_as_the_report_words_them(
    n: int, style: Style, chinese: str, english: str
) -> None:
    assert (zh(n, style), en(n, style)) == (chinese, english)


def test_the_seed_paragraphs_figures() -> None:
    """截至目前，智慧门牌已覆盖全县42万户运行，群众访问总量近50万人次，公开村(社)三务信息6531条，
    累计办结各项惠民服务申请需求32227件次: households and visits rounded, items and cases exact."""
    assert phrase(420_000, ROUNDED) == Phrase(420_000, Hedge.NONE, in_wan=True)
    assert phrase(496_310, ROUNDED) == Phrase(500_000, Hedge.NEARLY, in_wan=True)
    assert phrase(6_531, EXACT) == Phrase(6_531)
    assert phrase(32_227, EXACT) == Phrase(32_227)


def test_a_count_is_never_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        zh(-1, ROUNDED)
