"""How a Chinese government report words a figure, and the English counterpart.

The rule is read off the county's 2021 report (``seed/annual-report-2021.txt``): "已覆盖全县42万户"
(420,000 households), "群众访问总量近50万人次" (496,310 visits), "公开村(社)三务信息6531条",
"累计办结各项惠民服务申请需求32227件次", and elsewhere "主动公开政府信息数19256条". Large
estimates of people and visits are given in 万 with a hedge; things counted one by one (items,
cases) are given exactly even above 10,000. Which of the two a figure gets is the caller's
choice (:class:`Style`), stated per figure, never guessed from the number.

:attr:`Style.ROUNDED`, for a count ``n``:

- under 10,000: the digits (``6531``);
- a whole number of 万: that (``42万``, ``50万``);
- within 1% of the nearest whole 万 ``R``: ``近R万`` just under it (496,310 → 近50万),
  ``超R万`` just over it (504,999 → 超50万); from 50万 up every figure is that close, as
  half a 万 is then at most 1%;
- otherwise two decimals of 万, trailing zeros dropped: bare when that is exact (415,500 →
  41.55万), with 约 when it rounds (415,549 → 约41.55万).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

WAN = 10_000
NEAR_PERCENT = 1  # how close to a whole 万 a figure must be for 近/超


class Style(enum.Enum):
    EXACT = "exact"  # the digits, however large: 32227
    ROUNDED = "rounded"  # in 万 with 近/超/约 from 10,000 up: 近50万


class Hedge(enum.StrEnum):
    NONE = "none"
    NEARLY = "nearly"  # 近
    OVER = "over"  # 超
    ABOUT = "about"  # 约


@dataclass(frozen=True)
class Phrase:
    """A figure as a report states it: the stated value, its hedge, and whether in 万."""

    value: int
    hedge: Hedge = Hedge.NONE
    in_wan: bool = False


_ZH_HEDGES = {Hedge.NONE: "", Hedge.NEARLY: "近", Hedge.OVER: "超", Hedge.ABOUT: "约"}
_EN_HEDGES = {Hedge.NONE: "", Hedge.NEARLY: "nearly ", Hedge.OVER: "over ", Hedge.ABOUT: "about "}


def phrase(n: int, style: Style) -> Phrase:
    """How a report states the count ``n`` in ``style``."""
    if n < 0:
        raise ValueError("a count is never negative")
    if style is Style.EXACT or n < WAN:
        return Phrase(n)
    if n % WAN == 0:
        return Phrase(n, in_wan=True)
    nearest = (n + WAN // 2) // WAN * WAN  # half up
    if 100 * abs(n - nearest) <= NEAR_PERCENT * nearest:
        return Phrase(nearest, Hedge.NEARLY if n < nearest else Hedge.OVER, in_wan=True)
    hundreds = (n + 50) // 100 * 100  # two decimals of 万, half up
    return Phrase(hundreds, Hedge.NONE if hundreds == n else Hedge.ABOUT, in_wan=True)


def zh(n: int, style: Style) -> str:
    """``n`` as a Chinese report writes it, without the unit: "近50万", "6531"."""
    stated = phrase(n, style)
    if stated.in_wan:
        number = f"{(Decimal(stated.value) / WAN).normalize():f}万"
    else:
        number = str(stated.value)
    return _ZH_HEDGES[stated.hedge] + number


def en(n: int, style: Style) -> str:
    """The English counterpart: "nearly 500,000", "6,531"."""
    stated = phrase(n, style)
    return f"{_EN_HEDGES[stated.hedge]}{stated.value:,}"
