"""The solver's instance and plan parsers take untrusted files: whatever they are given, they
either load it or raise FormatError (with field paths), never another exception."""
from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.formats import FormatError, load_instance, load_plan
from solver.generate import generate

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)
# Values that look like the format's own: near-miss dates, times, ids, negative numbers.
PLAUSIBLE = JSON | st.sampled_from([
    "2027-02-30", "2027-13-01", "24:00", "08:60", "", "L-bergen", "C1", -1, 0, 10**12, 1.5, [], {},
    [["16:00", "08:00"]], {"1": [["08:00"]]}, "guidance-instance/1", "guidance-plan/1", None,
])


@pytest.fixture(scope="module")
def valid_instance() -> dict:
    data = generate(county="46", participants=12, seed=3)
    return json.loads(json.dumps(data if isinstance(data, dict) else data.model_dump(mode="json")))


def _loads_or_format_error(loader, source) -> None:
    try:
        loader(source)
    except FormatError as error:
        assert error.errors, "a FormatError must say what is wrong"


@settings(max_examples=200, deadline=None)
@given(JSON)
def test_arbitrary_json_values_load_or_raise_format_error(value):
    _loads_or_format_error(load_instance, value if isinstance(value, dict) else json.dumps(value))
    _loads_or_format_error(load_plan, value if isinstance(value, dict) else json.dumps(value))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_arbitrary_text_loads_or_raises_format_error(text):
    _loads_or_format_error(load_instance, text)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(node, list):
        for index, child in enumerate(node[:3]):
            yield from _paths(child, prefix + (index,))


def _replace(data, path, value):
    data = copy.deepcopy(data)
    if not path:
        return value
    node = data
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_a_valid_instance_with_one_value_broken_loads_or_raises_format_error(valid_instance, data):
    paths = list(_paths(valid_instance))
    broken = valid_instance
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        try:
            broken = _replace(broken, path, data.draw(PLAUSIBLE))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this path
    _loads_or_format_error(load_instance, broken)
