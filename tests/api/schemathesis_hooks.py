"""Schemathesis hooks (loaded by ``st run`` through ``SCHEMATHESIS_HOOKS``): mix the seeded
county's real identifiers into what the fuzzer generates, so its cases reach the 200 and 201
answers, and the code behind them, and not only the 404 of a random plate code.

The identifiers come as JSON in ``DOORPLATE_FUZZ_DATA``: lists of ``token``, ``code``, ``post_id``,
``reference``, ``slot_id``, ``service_id`` and ``phone_last4``. Each generated value is kept or
swapped for a real one, so both kinds are tested.
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis
from hypothesis import strategies as st

KNOWN: dict[str, list[Any]] = json.loads(os.environ.get("DOORPLATE_FUZZ_DATA", "{}"))
PATH_PARAMETERS = {name: name for name in ("token", "code", "post_id", "reference")}
QUERY_PARAMETERS = {"phone_last4": "phone_last4", "village": "code"}
BODY_FIELDS = {"plate": "token", "slot_id": "slot_id", "service_id": "service_id"}


def _mixed(values: Any, names: dict[str, str]) -> st.SearchStrategy[Any]:
    """``values`` with each of ``names`` (value name → KNOWN list) kept or swapped for a known
    value; anything but an object (no parameters, a body that is not an object) as it is."""
    if not isinstance(values, dict):
        return st.just(values)
    choices = {
        name: st.sampled_from([values[name], *KNOWN[known]])
        for name, known in names.items()
        if name in values and KNOWN.get(known)
    }
    return st.fixed_dictionaries(choices).map(lambda chosen: {**values, **chosen})


@schemathesis.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: Any
) -> st.SearchStrategy[Any]:
    return _mixed(path_parameters, PATH_PARAMETERS)


@schemathesis.hook
def flatmap_query(context: schemathesis.HookContext, query: Any) -> st.SearchStrategy[Any]:
    return _mixed(query, QUERY_PARAMETERS)


@schemathesis.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
    return _mixed(body, BODY_FIELDS)
