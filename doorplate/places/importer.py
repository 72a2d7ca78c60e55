"""PLACEHOLDER: household file reading and validation (being written)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HouseholdRow:
    line: int
    town_code: str
    town: str
    village_code: str
    village: str
    address: str
    house_no: str | None
    head_name: str | None
    phone: str | None
