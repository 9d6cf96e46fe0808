"""safeguard.reports.charts: server-drawn SVG for governors' reports. No database needed.

Every chart is parsed as XML, so a test that passes also proves the markup is well-formed.
"""

import math
import re
import xml.etree.ElementTree as ET

import pytest
from django.utils.safestring import SafeString
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguard.reports.charts import NO_DATA, Series, bar_chart, hbar_chart

SVG = "http://www.w3.org/2000/svg"
TAG = f"{{{SVG}}}"

MONTHS = ["Sep 2025", "Oct 2025", "Nov 2025", "Dec 2025", "Jan 2026", "Feb 2026"]
VERDICTS = [
    Series("Not allowed", [1, 0, 0, 1, 0, 2]),
    Series("Needs approval", [0, 1, 4, 0, 2, 1]),
    Series("Record", [1, 1, 0, 2, 1, 3]),
]


# --- helpers ----------------------------------------------------------------------------------


def parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))


def bars(root: ET.Element) -> list[ET.Element]:
    """Data bars: the only <rect>s with a <title> child (legend swatches and frames have none)."""
    return [r for r in root.iter(f"{TAG}rect") if r.find(f"{TAG}title") is not None]


def bar_titled(root: ET.Element, text: str) -> ET.Element:
    (match,) = [b for b in bars(root) if b.find(f"{TAG}title").text == text]
    return match


def num(element: ET.Element, attribute: str) -> float:
    return float(element.get(attribute))


def texts(element: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in element.iter(f"{TAG}text")]


def group(root: ET.Element, name: str) -> ET.Element:
    (found,) = [g for g in root.iter(f"{TAG}g") if g.get("class") == name]
    return found


def tick_labels(root: ET.Element) -> list[str]:
    axis = group(root, "y-axis")
    return ["".join(t.itertext()) for t in axis.iter(f"{TAG}text") if t.get("text-anchor")]


def ids(root: ET.Element) -> set[str]:
    return {e.get("id") for e in root.iter() if e.get("id")}


def verdict_chart(**overrides) -> str:
    options = {"title": "Requests by verdict", "categories": MONTHS, "series": VERDICTS}
    return bar_chart(**(options | overrides))


# --- the document -----------------------------------------------------------------------------


def test_root_is_an_accessible_image_labelled_by_its_title_and_description():
    root = parse(verdict_chart())

    assert root.tag == f"{TAG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert re.fullmatch(r"0 0 640 \d+", root.get("viewBox"))
    assert root.get("font-family") == "system-ui, sans-serif"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{TAG}title").get("id") == title_id
    assert root.find(f"{TAG}desc").get("id") == desc_id
    assert root.find(f"{TAG}title").text == "Requests by verdict"


def test_result_is_marked_safe_for_templates():
    assert isinstance(verdict_chart(), SafeString)
    assert isinstance(hbar_chart(title="t", labels=["a"], values=[1]), SafeString)


def test_description_summarises_total_breakdown_and_highest_category():
    desc = parse(verdict_chart(unit="requests")).find(f"{TAG}desc").text

    assert desc == (
        "Total 20 requests across 6 categories (Not allowed 4 requests, Needs approval 8 requests,"
        " Record 8 requests); highest Feb 2026 with 6 requests."
    )


def test_description_names_every_category_tied_for_highest():
    chart = bar_chart(title="t", categories=["A", "B", "C"], series=[Series("s", [3, 1, 3])])

    assert parse(chart).find(f"{TAG}desc").text == (
        "Total 7 across 3 categories; highest A and C, each with 3."
    )


def test_title_is_also_visible_for_print():
    assert "Requests by verdict" in texts(parse(verdict_chart()))


def test_no_dark_background():
    background = parse(verdict_chart()).find(f"{TAG}rect")

    assert background.get("fill") == "#ffffff"


# --- bars -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stacked", [True, False])
def test_one_bar_per_non_zero_data_point(stacked):
    root = parse(verdict_chart(stacked=stacked))

    non_zero = sum(1 for s in VERDICTS for v in s.values if v)
    assert len(bars(root)) == non_zero == 12


def test_each_bar_is_titled_with_category_series_and_value():
    root = parse(verdict_chart())

    titles = {b.find(f"{TAG}title").text for b in bars(root)}
    assert "Nov 2025, Needs approval: 4" in titles
    assert "Feb 2026, Record: 3" in titles
    assert not any(t.startswith("Sep 2025, Needs approval") for t in titles)  # zero: no bar


def test_unit_follows_the_value_in_bar_titles():
    root = parse(verdict_chart(unit="requests"))
    bar_titled(root, "Nov 2025, Needs approval: 4 requests")

    percent = parse(bar_chart(title="t", categories=["A"], series=[Series("s", [40])], unit="%"))
    bar_titled(percent, "A, s: 40%")


@pytest.mark.parametrize("stacked", [True, False])
def test_bar_heights_are_proportional_to_values(stacked):
    root = parse(verdict_chart(stacked=stacked))

    four = num(bar_titled(root, "Nov 2025, Needs approval: 4"), "height")
    two = num(bar_titled(root, "Jan 2026, Needs approval: 2"), "height")
    one = num(bar_titled(root, "Sep 2025, Not allowed: 1"), "height")
    assert four == pytest.approx(2 * two, abs=0.02)
    assert two == pytest.approx(2 * one, abs=0.02)
    assert one > 0


def test_stacked_segments_of_one_category_sit_on_top_of_each_other():
    root = parse(verdict_chart())

    lower = bar_titled(root, "Feb 2026, Not allowed: 2")
    middle = bar_titled(root, "Feb 2026, Needs approval: 1")
    upper = bar_titled(root, "Feb 2026, Record: 3")
    assert num(upper, "y") + num(upper, "height") == pytest.approx(num(middle, "y"), abs=0.01)
    assert num(middle, "y") + num(middle, "height") == pytest.approx(num(lower, "y"), abs=0.01)
    assert {lower.get("x"), middle.get("x"), upper.get("x")} == {lower.get("x")}


def test_grouped_bars_stand_side_by_side_on_one_baseline():
    root = parse(verdict_chart(stacked=False))

    left = bar_titled(root, "Feb 2026, Not allowed: 2")
    right = bar_titled(root, "Feb 2026, Record: 3")
    assert num(left, "x") + num(left, "width") <= num(right, "x")
    assert num(left, "y") + num(left, "height") == pytest.approx(
        num(right, "y") + num(right, "height"), abs=0.01
    )


def test_tallest_stack_fits_inside_the_chart():
    root = parse(verdict_chart())
    height = float(root.get("viewBox").split()[3])

    for bar in bars(root):
        assert 0 <= num(bar, "y") <= num(bar, "y") + num(bar, "height") <= height


def test_each_series_has_its_own_fill():
    root = parse(verdict_chart())

    fills = {
        s.name: {b.get("fill") for b in bars(root) if f", {s.name}: " in b.find(f"{TAG}title").text}
        for s in VERDICTS
    }
    assert all(len(f) == 1 for f in fills.values())
    assert len({f.pop() for f in fills.values()}) == 3
    # colour is not the only signal: the other series use patterns defined in the chart
    patterns = {p.get("id") for p in root.iter(f"{TAG}pattern")}
    assert len(patterns) == 2


# --- axis, labels and legend ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peak", "expected"),
    [
        (1, ["0", "1", "2"]),
        (3, ["0", "1", "2", "3"]),
        (6, ["0", "2", "4", "6"]),
        (27, ["0", "10", "20", "30"]),
        (99, ["0", "25", "50", "75", "100"]),
        (1234, ["0", "500", "1,000", "1,500"]),
        (0.3, ["0", "0.1", "0.2", "0.3"]),
    ],
)
def test_y_axis_has_three_to_five_round_ticks_from_zero(peak, expected):
    chart = bar_chart(title="t", categories=["A", "B"], series=[Series("s", [peak, 0])])

    assert tick_labels(parse(chart)) == expected


def test_few_short_category_labels_sit_level_under_the_bars():
    axis = group(parse(verdict_chart()), "x-axis")

    assert texts(axis) == MONTHS
    assert not any(t.get("transform") for t in axis.iter(f"{TAG}text"))


def test_more_than_eight_categories_are_rotated():
    months = [f"Month {i}" for i in range(12)]
    chart = bar_chart(title="t", categories=months, series=[Series("s", [1] * 12)])
    axis = group(parse(chart), "x-axis")

    assert texts(axis) == months
    assert all("rotate(-45" in t.get("transform") for t in axis.iter(f"{TAG}text"))


def test_very_crowded_categories_are_thinned_but_every_bar_keeps_its_title():
    weeks = [f"Week {i}" for i in range(40)]
    root = parse(bar_chart(title="t", categories=weeks, series=[Series("s", [1] * 40)]))

    shown = texts(group(root, "x-axis"))
    assert 1 < len(shown) < 40
    assert shown[0] == "Week 0"
    assert len(bars(root)) == 40


def test_legend_names_every_series_beside_a_swatch():
    legend = group(parse(verdict_chart()), "legend")

    assert texts(legend) == ["Not allowed", "Needs approval", "Record"]
    assert len(legend.findall(f"{TAG}rect")) == 3


def test_legend_wraps_on_a_narrow_chart():
    series = [Series(f"A fairly long series name {i}", [1]) for i in range(4)]
    root = parse(bar_chart(title="t", categories=["A"], series=series, width=300))

    rows = {r.get("y") for r in group(root, "legend").iter(f"{TAG}rect")}
    assert len(rows) == 4
    assert len(bars(root)) == 4


# --- horizontal bars --------------------------------------------------------------------------

KINDS = ["Contact record", "Disclosure", "Boundary concern about conduct outside school", "LADO"]


def test_hbar_draws_one_bar_per_non_zero_value_with_the_value_at_its_end():
    root = parse(hbar_chart(title="Records by kind", labels=KINDS, values=[12, 3, 0, 6]))

    assert len(bars(root)) == 3
    contact = bar_titled(root, "Contact record: 12")
    end = num(contact, "x") + num(contact, "width")
    (value,) = [t for t in root.iter(f"{TAG}text") if t.text == "12"]
    assert num(value, "x") > end
    assert num(value, "x") - end < 10
    assert "0" in texts(root)  # a zero row still says so


def test_hbar_widths_are_proportional_to_values():
    root = parse(hbar_chart(title="t", labels=KINDS, values=[12, 3, 0, 6], unit="records"))

    twelve = num(bar_titled(root, "Contact record: 12 records"), "width")
    six = num(bar_titled(root, "LADO: 6 records"), "width")
    three = num(bar_titled(root, "Disclosure: 3 records"), "width")
    assert twelve == pytest.approx(2 * six, abs=0.02)
    assert six == pytest.approx(2 * three, abs=0.02)


def test_hbar_grows_taller_with_more_rows():
    def height(rows: int) -> float:
        chart = hbar_chart(title="t", labels=[f"Kind {i}" for i in range(rows)], values=[1] * rows)
        return float(parse(chart).get("viewBox").split()[3])

    assert height(2) < height(5) < height(20)


def test_hbar_long_label_is_shown_in_full_somewhere():
    label = "Boundary concern about a member of staff's conduct outside school hours " * 2
    root = parse(hbar_chart(title="t", labels=[label], values=[3], width=400))

    assert bar_titled(root, f"{label}: 3")  # the full text, even if the visible label is cut


def test_hbar_description():
    desc = parse(hbar_chart(title="t", labels=KINDS, values=[12, 3, 0, 6])).find(f"{TAG}desc")

    assert desc.text == "Total 21 across 4 items; highest Contact record with 12."


# --- no data ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "chart",
    [
        lambda: bar_chart(title="t", categories=MONTHS, series=[Series("s", [0] * 6)]),
        lambda: bar_chart(title="t", categories=[], series=[Series("s", [])]),
        lambda: bar_chart(title="t", categories=MONTHS, series=[]),
        lambda: bar_chart(title="t", categories=[], series=[], stacked=False),
        lambda: hbar_chart(title="t", labels=["a", "b"], values=[0, 0.0]),
        lambda: hbar_chart(title="t", labels=[], values=[]),
    ],
    ids=["zeros", "no-categories", "no-series", "nothing-grouped", "hbar-zeros", "hbar-empty"],
)
def test_zero_data_draws_a_frame_with_a_message_and_no_bars(chart):
    root = parse(chart())

    assert NO_DATA == "No data for this period"
    assert NO_DATA in texts(root)
    assert bars(root) == []
    assert root.find(f"{TAG}desc").text == "No data for this period."
    assert len(root.findall(f"{TAG}rect")) >= 2  # background and frame


# --- escaping and ids -------------------------------------------------------------------------

HOSTILE = "<script>alert('x')</script> & \"friends\""


def test_hostile_text_is_escaped_everywhere():
    chart = bar_chart(
        title=HOSTILE,
        categories=[HOSTILE, "B"],
        series=[Series(HOSTILE, [1, 2]), Series("ok", [1, 0])],
        unit="<b>",
    )
    flat = hbar_chart(title=HOSTILE, labels=[HOSTILE], values=[1], unit="<b>")

    for svg in (chart, flat):
        assert "<script" not in svg
        assert "<b>" not in svg
        assert "&lt;script&gt;" in svg
        root = parse(svg)  # still well-formed, and the text reads back unchanged
        assert root.find(f"{TAG}title").text == HOSTILE
    assert HOSTILE in texts(group(parse(chart), "legend"))
    bar_titled(parse(chart), f"{HOSTILE}, {HOSTILE}: 1<b>")


def test_characters_xml_cannot_hold_are_dropped():
    root = parse(bar_chart(title="a\x00b\x1bc", categories=["x\ud800"], series=[Series("s", [1])]))

    assert root.find(f"{TAG}title").text == "abc"


def test_ids_are_unique_for_same_title_with_different_data():
    first = parse(bar_chart(title="Requests", categories=["A"], series=[Series("s", [1])]))
    second = parse(bar_chart(title="Requests", categories=["A"], series=[Series("s", [2])]))

    assert ids(first).isdisjoint(ids(second))
    assert all(i.startswith("chart-requests-") for i in ids(first))


def test_ids_differ_between_chart_kinds_and_survive_titles_without_letters():
    a = parse(hbar_chart(title="!!!", labels=["a"], values=[1]))
    b = parse(hbar_chart(title="???", labels=["a"], values=[1]))

    assert ids(a).isdisjoint(ids(b))
    assert all(re.fullmatch(r"[a-z][a-z0-9-]*", i) for i in ids(a) | ids(b))


def test_same_chart_twice_is_identical_so_it_can_be_cached():
    assert verdict_chart() == verdict_chart()


# --- invalid input ----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [-1, -0.5, math.nan, math.inf])
def test_bar_chart_rejects_negative_nan_and_infinite_values_naming_the_series(bad):
    series = [Series("Record", [1, 2]), Series("Needs approval", [1, bad])]

    with pytest.raises(ValueError, match=r"series\[1\] \('Needs approval'\) values\[1\]"):
        bar_chart(title="t", categories=["A", "B"], series=series)


@pytest.mark.parametrize("bad", [-1, math.nan, -math.inf, "3", None])
def test_hbar_chart_rejects_bad_values_naming_the_argument(bad):
    with pytest.raises(ValueError, match=r"values\[0\]"):
        hbar_chart(title="t", labels=["a"], values=[bad])


def test_negative_zero_is_just_zero():
    root = parse(hbar_chart(title="t", labels=["a", "b"], values=[-0.0, 1]))

    assert len(bars(root)) == 1


def test_lengths_must_match():
    with pytest.raises(ValueError, match="series"):
        bar_chart(title="t", categories=["A", "B"], series=[Series("s", [1])])
    with pytest.raises(ValueError, match="labels and values"):
        hbar_chart(title="t", labels=["a", "b"], values=[1])


def test_tiny_sizes_are_refused_rather_than_drawn_inside_out():
    with pytest.raises(ValueError, match="width"):
        bar_chart(title="t", categories=["A"], series=[Series("s", [1])], width=100)
    with pytest.raises(ValueError, match="height"):
        bar_chart(title="t", categories=["A"], series=[Series("s", [1])], height=50)


# --- properties -------------------------------------------------------------------------------

finite = st.floats(min_value=0, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(values=st.lists(finite, min_size=0, max_size=40), stacked=st.booleans())
def test_any_non_negative_values_render_well_formed_svg(values, stacked):
    categories = [f"C{i}" for i in range(len(values))]
    series = [Series("a", values), Series("b", values[::-1])]
    charts = [
        bar_chart(title="p", categories=categories, series=series, stacked=stacked),
        hbar_chart(title="p", labels=categories, values=values),
    ]

    for chart in charts:
        root = parse(chart)
        expected = sum(1 for v in values if v) * (2 if chart is charts[0] else 1)
        assert len(bars(root)) == expected
        for bar in bars(root):
            assert all(math.isfinite(num(bar, a)) for a in ("x", "y", "width", "height"))
            assert num(bar, "width") >= 0
            assert num(bar, "height") >= 0


@settings(max_examples=100, deadline=None)
@given(labels=st.lists(st.text(max_size=60), min_size=1, max_size=12), title=st.text())
def test_any_text_renders_well_formed_svg(labels, title):
    values = [float(i + 1) for i in range(len(labels))]

    parse(hbar_chart(title=title, labels=labels, values=values))
    parse(bar_chart(title=title, categories=labels, series=[Series(labels[0], values)]))


def test_description_of_a_single_category_is_grammatical():
    chart = bar_chart(title="t", categories=["Sep 2025"], series=[Series("Record", [2])])

    assert parse(chart).find(f"{TAG}desc").text == (
        "Total 2 across 1 category; highest Sep 2025 with 2."
    )
