"""Statistics charts that read: round value ticks, room for the longest number, turned category labels
when they would collide, and the budget as a marker line against the bars."""
import re

from guidance.web.charts import CHAR, bar_chart, nice_ticks


def _texts(svg: str) -> list[tuple[float, str, str]]:
    return [(float(x), anchor, text) for x, anchor, text in
            re.findall(r'<text class="chart-label" x="([\d.]+)" y="[\d.]+" text-anchor="(end|middle)"[^>]*>([^<]*)</text>', svg)]


def test_ticks_are_round_and_reach_the_peak():
    assert nice_ticks(80) == [0, 20, 40, 60, 80]
    assert nice_ticks(71571) == [0, 20000, 40000, 60000, 80000]
    assert nice_ticks(0) == [0, 1]
    assert nice_ticks(3)[-1] >= 3


def test_value_labels_are_never_cut_off_on_the_left():
    svg = str(bar_chart("c", "Cost", "desc", ["jan. 2027"], [("Cost", [12_345_678])], y_label="NOK"))
    for x, anchor, text in _texts(svg):
        if anchor == "end" and "transform" not in text:
            assert x - CHAR * len(text) >= 0, f"{text!r} starts left of the drawing"


def test_many_months_turn_their_labels_and_the_drawing_grows_to_hold_them():
    months = [f"des. {2000 + i}" for i in range(24)]
    svg = str(bar_chart("c", "t", "d", months, [("A", list(range(24)))]))
    assert svg.count("rotate(-45") == 24
    few = str(bar_chart("c", "t", "d", months[:3], [("A", [1, 2, 3])]))
    assert "rotate(-45" not in few
    height = lambda s: float(re.search(r'viewBox="0 0 640 ([\d.]+)"', s).group(1))  # noqa: E731
    assert height(svg) > height(few)


def test_the_budget_is_a_marker_line_over_the_months_that_have_one():
    svg = str(bar_chart("c", "t", "d", ["jan.", "feb."], [("Cost", [100, 300])], target=("Budget", [200, None])))
    assert svg.count('class="chart-target"') == 2  # one month's marker and the legend's
    assert ">Budget</text>" in svg and ">Cost</text>" in svg
