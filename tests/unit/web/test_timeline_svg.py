"""The timeline's time values: each precision becomes the days it covers, never a false precision."""

import datetime as dt

import pytest

from karabakh_kg.web.views.timeline_svg import Event, bounds, layout

D = dt.date


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("2020-11-20", None, None, None, None), (D(2020, 11, 20), D(2020, 11, 20), "day", "2020-11-20")),
        ((None, "2020-09", None, None, None), (D(2020, 9, 1), D(2020, 9, 30), "month", "2020-09")),
        ((None, "2020-12", None, None, None), (D(2020, 12, 1), D(2020, 12, 31), "month", "2020-12")),
        ((None, None, "1993", None, None), (D(1993, 1, 1), D(1993, 12, 31), "year", "1993")),
        (
            (None, None, None, "2020-09-20", "2020-09-30"),
            (D(2020, 9, 20), D(2020, 9, 30), "range", "2020-09-20 – 2020-09-30"),
        ),
        ((None, None, None, "2020-11-20", None), (D(2020, 11, 20), None, "open", "from 2020-11-20")),
        ((None, None, None, None, None), (None, None, "unknown", "")),
    ],
)
def test_bounds_keep_the_precision_given(args, expected):
    assert bounds(*args) == expected


def test_layout_places_dated_events_in_order_and_keeps_undated_ones_apart():
    events = [
        Event("e:2", "later", None, D(2020, 11, 20), D(2020, 11, 20), "day", "2020-11-20"),
        Event("e:1", "earlier", None, D(1993, 1, 1), D(1993, 12, 31), "year", "1993"),
        Event("e:3", "undated", None, None, None, "unknown", ""),
    ]
    drawn = layout(events)
    assert [row.event.iri for row in drawn.rows] == ["e:1", "e:2"]
    assert [e.iri for e in drawn.undated] == ["e:3"]
    assert drawn.rows[0].y < drawn.rows[1].y
