"""Lay out the timeline: every event on a date axis, each drawn as wide as its precision.

A day is a dot, a month or a year is a bar covering every day the value can denote (kgo:earliest
to kgo:latest), so "1993" and "2020-11-20" look as precise as they are. The events span decades
but crowd into a few weeks of 2020, so the axis is broken in two linear parts: the years before
the crowded period, and the crowded period itself by month. Pure layout, no markup: the template
draws the SVG (and escapes every text).
"""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass, field

WIDTH = 1000
AXIS_LEFT, AXIS_RIGHT = 200, 600
ROW = 26
TOP = 46  # room for the axis labels
GAP = 12  # the break between the two parts of the axis
RECENT_DAYS = 120  # events within this many days of the last one get the detailed part
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


@dataclass
class Event:
    iri: str
    label: str
    type_label: str | None
    earliest: dt.date | None
    latest: dt.date | None
    precision: str  # day, month, year, range (between two days), open (from a day on), unknown
    shown: str  # the value as written (2020-11-20, 2020-09, 1993)
    wording: str | None = None
    time_label: str | None = None


LABEL_CHARS = 52  # characters per line of an event's label (about 7 px each); longer labels wrap
LINE = 14  # the height of each further line of a wrapped label
UNDATED_GAP = 30  # room for the "undated" heading below the dated events


def wrap(label: str) -> list[str]:
    """An event's label on as many lines as it needs: never cut."""
    return textwrap.wrap(label, LABEL_CHARS) or [label]


@dataclass
class Part:
    start: dt.date
    end: dt.date  # exclusive
    x0: float
    x1: float

    def x(self, day: dt.date) -> float:
        span = (self.end - self.start).days or 1
        return self.x0 + (self.x1 - self.x0) * (day - self.start).days / span


@dataclass
class Row:
    event: Event
    y: float
    marks: list[dict] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    @property
    def label_y(self) -> float:
        """The baseline of the label's first line, so that its lines centre on the row."""
        return round(self.y + 4 - LINE * (len(self.lines) - 1) / 2, 1)


@dataclass
class Layout:
    width: int
    height: int
    rows: list[Row]
    ticks: list[dict]
    parts: list[Part]
    breaks: list[float]
    undated: list[Event]
    undated_rows: list[Row] = field(default_factory=list)
    undated_y: float = 0  # where the "undated" heading goes


def parse_day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def bounds(
    date: str | None, year_month: str | None, year: str | None, earliest: str | None, latest: str | None
) -> tuple[dt.date | None, dt.date | None, str, str]:
    """(earliest day, latest day, precision, value as shown) of a time value."""
    first, last = parse_day(earliest), parse_day(latest)
    if date:
        day = parse_day(date)
        return first or day, last or day, "day", date[:10]
    if year_month:
        try:
            y, m = int(year_month[:4]), int(year_month[5:7])
            start = dt.date(y, m, 1)
            end = dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)
        except ValueError:
            start = end = None
        return first or start, last or end, "month", year_month[:7]
    if year:
        try:
            y = int(year[:4])
            start, end = dt.date(y, 1, 1), dt.date(y, 12, 31)
        except ValueError:
            start = end = None
        return first or start, last or end, "year", year[:4]
    if first and last:
        precision = "day" if first == last else "range"
        shown = first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"
        return first, last, precision, shown
    if first:
        return first, None, "open", f"from {first.isoformat()}"
    return first, last, "unknown", ""


def _parts(events: list[Event]) -> tuple[list[Part], list[float]]:
    first = min(e.earliest for e in events)
    last = max(e.latest or e.earliest for e in events)
    end = last + dt.timedelta(days=1)
    recent_from = last - dt.timedelta(days=RECENT_DAYS)
    recent = [e.earliest for e in events if e.earliest >= recent_from]
    split = dt.date(min(recent).year, min(recent).month, 1) if recent else first
    if (split - first).days < 2 * 365:  # nothing much before: one linear axis
        start = dt.date(first.year, first.month, 1)
        return [Part(start, end, AXIS_LEFT, AXIS_RIGHT)], []
    older = Part(
        dt.date(first.year, 1, 1),
        dt.date(split.year, 1, 1) if split.month == 1 else split,
        AXIS_LEFT,
        AXIS_LEFT + (AXIS_RIGHT - AXIS_LEFT) * 0.42,
    )
    newer = Part(split, max(end, split + dt.timedelta(days=31)), older.x1 + GAP, AXIS_RIGHT)
    return [older, newer], [older.x1 + GAP / 2]


def _ticks(parts: list[Part]) -> list[dict]:
    ticks = []
    for i, part in enumerate(parts):
        years = part.end.year - part.start.year
        if i == 0 and len(parts) > 1 or years >= 3:
            step = 5 if years > 15 else (2 if years > 6 else 1)
            year = part.start.year + (-part.start.year % step)
            while dt.date(year, 1, 1) < part.end:
                day = dt.date(year, 1, 1)
                if day >= part.start:
                    ticks.append({"x": round(part.x(day), 1), "text": str(year)})
                year += step
        else:
            day = dt.date(part.start.year, part.start.month, 1)
            while day < part.end:
                text = MONTHS[day.month - 1] + (f" {day.year}" if day.month == 1 or day == part.start else "")
                ticks.append({"x": round(part.x(day), 1), "text": text})
                day = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    kept: list[dict] = []
    for tick in sorted(ticks, key=lambda t: t["x"]):  # labels must not overlap (about 7 px a letter)
        if not kept or tick["x"] - kept[-1]["x"] >= 3.5 * (len(kept[-1]["text"]) + len(tick["text"])) + 8:
            kept.append(tick)
    return kept


def _rows(events: list[Event], top: float) -> tuple[list[Row], float]:
    """One row per event from `top` down, each as tall as its wrapped label; and the bottom."""
    rows, y = [], top
    for event in events:
        lines = wrap(event.label)
        height = ROW + LINE * (len(lines) - 1)
        rows.append(Row(event, y + height / 2, lines=lines))
        y += height
    return rows, y


PAGE = 250  # events per page of the timeline: a large dataset's is drawn a page at a time


def in_order(events: list[Event]) -> list[Event]:
    """The timeline's order: dated events by date (then label), undated ones after them by label."""
    dated = sorted(
        (e for e in events if e.earliest), key=lambda e: (e.earliest, e.latest or dt.date.max, e.label.lower(), e.iri)
    )
    return dated + sorted((e for e in events if not e.earliest), key=lambda e: e.label.lower())


def layout(events: list[Event]) -> Layout:
    """Place each dated event on its row, in date order; undated ones below, without a mark."""
    ordered = in_order(events)
    dated = [e for e in ordered if e.earliest]
    undated = [e for e in ordered if not e.earliest]
    rows, bottom = _rows(dated, TOP)
    parts, breaks = _parts(dated) if dated else ([], [])
    for row in rows:
        event = row.event
        start = event.earliest
        end = event.latest + dt.timedelta(days=1) if event.latest else parts[-1].end
        for part in parts:
            lo, hi = max(start, part.start), min(end, part.end)
            if lo >= hi:
                continue
            x0, x1 = part.x(lo), part.x(hi)
            if event.precision == "day" and x1 - x0 < 6:
                row.marks.append({"kind": "dot", "cx": round((x0 + x1) / 2, 1), "r": 5})
            else:  # never narrower than a dot, so a year far back still reads as a bar
                w = max(x1 - x0, 7)
                row.marks.append(
                    {
                        "kind": "bar",
                        "x": round(min(x0, x1 - w) if x1 - w >= part.x0 else x0, 1),
                        "w": round(w, 1),
                        "h": 10,
                        "open": event.latest is None,
                    }
                )
    undated_y = bottom + UNDATED_GAP / 2 + 4
    undated_rows, end = _rows(undated, bottom + UNDATED_GAP) if undated else ([], bottom)
    return Layout(
        WIDTH, round(end + 12), rows, _ticks(parts) if parts else [], parts, breaks, undated, undated_rows, undated_y
    )
