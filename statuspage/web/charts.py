"""Geometry of the server-rendered SVG charts (no JavaScript): numbers in, rectangles and ticks out.

Templates draw the shapes (templates/internal/_charts.html); every chart there is followed by a table with
the same numbers, the accessible alternative."""
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 240
LEFT, BOTTOM, TOP = 44, 36, 12


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    value: float
    y: float
    height: float


@dataclass(frozen=True)
class Bar:
    label: str
    x: float
    width: float
    total: float
    segments: list[Segment]


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 × 10^n at or above ``value`` (at least 1): the top of a readable axis."""
    step = 1.0
    while True:
        for factor in (1, 2, 5):
            if value <= step * factor:
                return step * factor
        step *= 10


def stacked_bars(columns: list[tuple[str, list[tuple[str, str, float]]]]) -> dict:
    """One bar per column, stacked from its (key, label, value) parts: ``{"bars", "ticks", "width",
    "height", "baseline"}``. Zero parts are left out."""
    top = nice_ceiling(max([sum(v for _, _, v in parts) for _, parts in columns] + [1]))
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(len(columns), 1)
    bars = []
    for index, (label, parts) in enumerate(columns):
        y, segments = HEIGHT - BOTTOM, []
        for key, part_label, value in parts:
            if not value:
                continue
            height = plot_h * value / top
            y -= height
            segments.append(Segment(key, part_label, value, round(y, 1), round(height, 1)))
        bars.append(Bar(label, round(LEFT + index * slot + slot * 0.2, 1), round(slot * 0.6, 1),
                        sum(v for _, _, v in parts), segments))
    fractions = (0, 0.5, 1) if float(top / 2).is_integer() else (0, 1)  # no "2.5 incidents" tick
    ticks = [(round(HEIGHT - BOTTOM - plot_h * f, 1), _number(top * f)) for f in fractions]
    return {"bars": bars, "ticks": ticks, "width": WIDTH, "height": HEIGHT, "baseline": HEIGHT - BOTTOM,
            "left": LEFT}


def horizontal_bars(rows: list[tuple[str, float | None]], row_height: int = 28) -> dict:
    """One bar per (label, value) row, longest value filling the width; None draws no bar."""
    label_w = 180
    top = max([v for _, v in rows if v] + [1])
    usable = WIDTH - label_w - 80
    drawn = [{"label": label, "value": value, "y": i * row_height + 4,
              "width": round(usable * value / top, 1) if value else 0}
             for i, (label, value) in enumerate(rows)]
    return {"rows": drawn, "width": WIDTH, "height": max(len(rows), 1) * row_height + 8, "label_w": label_w,
            "row_height": row_height}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
