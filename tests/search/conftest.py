"""The search tests' county (the publication tests' villages A, A2 and B with their staff), the
default synonym list, and posts published through the real workflow."""

from __future__ import annotations

import pytest
from publications.conftest import County, county  # noqa: F401 (county: a fixture)
from resident.conftest import post_in  # noqa: F401 (re-exported for the tests)

from doorplate.db import db
from doorplate.search import synonyms as synonym_list


@pytest.fixture
def synonyms(county: County) -> list[tuple[str, ...]]:  # noqa: F811 (the fixture's value)
    """The default list, as the migration seeds it (later tests start from empty tables)."""
    synonym_list.seed_defaults()
    groups = synonym_list.groups()
    db.session.commit()
    return groups
