"""Labels for the rendering tests: realistic addresses, random tokens, real plate URLs."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from doorplate.plates.render import Label
from doorplate.plates.tokens import new_tokens, plate_url

BASE_URL = "https://dp.cncn.gov.cn"
RARE = "垟岙埭鳌镕喆堃"
STREETS = ["上垟路", "岙底街", "埭头巷", "鳌山路", "文化路", "中心街"]

MakeLabels = Callable[..., list[Label]]


@pytest.fixture
def make_labels() -> MakeLabels:
    """``make_labels(n, village=..., town=..., address=...)``: n labels with fresh tokens."""
    rng = random.Random(3)

    def make(
        n: int, *, village: str = "渡龙村", town: str = "灵溪镇", address: str | None = None
    ) -> list[Label]:
        return [
            Label(
                url=plate_url(BASE_URL, token),
                token=token,
                address=address or f"{town}{village}{rng.choice(STREETS)}{rng.randint(1, 300)}号",
                village=village,
                town=town,
                ref=f"household {i + 1}",
            )
            for i, token in enumerate(new_tokens(n))
        ]

    return make
