"""Charts for governors' reports, drawn on the server as SVG.

Reports are read on screen, printed and archived, so charts must not depend on JavaScript,
CSS or an external service. Each function returns one self-contained ``<svg>`` element,
marked safe for templates: ``{{ chart }}``.

Accessibility: the root has ``role="img"`` and is labelled by its ``<title>`` and a one-sentence
``<desc>`` summary; every bar carries a ``<title>`` with its value; series differ by pattern
as well as by colour (Okabe-Ito palette), and every legend entry names its series in text.

This module is pure: no models, no database, no settings. Numbers are checked here, not
trusted: negative, NaN and infinite values raise ``ValueError`` naming the argument.
"""

import hashlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

__all__ = ["NO_DATA", "Series", "bar_chart", "hbar_chart"]

NO_DATA = "No data for this period"

FONT = "system-ui, sans-serif"
TEXT = "#1a1a1a"  # near-black: over 15:1 on white
MUTED = "#4d4d4d"  # axis labels: still over 8:1 on white
GRID = "#d9d9d9"
AXIS = "#6b6b6b"
# A dark outline gives every bar a 3:1 edge against white even for the pale palette colours.
OUTLINE = "#333333"
# Okabe-Ito, reordered so the first colours have the most contrast on white.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
# White marks laid over the colour, so series stay distinct in greyscale print and for readers
# who cannot tell the colours apart. The first series is solid.
PATTERNS = (
    "",
    '<path d="M-1,1 L1,-1 M0,6 L6,0 M5,7 L7,5" stroke="#ffffff" stroke-width="1.3"/>',
    '<circle cx="3" cy="3" r="1.2" fill="#ffffff"/>',
    '<path d="M0,3 H6" stroke="#ffffff" stroke-width="1.3"/>',
    '<path d="M0,0 L6,6 M6,0 L0,6" stroke="#ffffff" stroke-width="1"/>',
    '<path d="M3,0 V6" stroke="#ffffff" stroke-width="1.3"/>',
)

MIN_WIDTH = 240
MIN_HEIGHT = 120
MIN_PLOT_HEIGHT = 80  # the chart grows past the requested height rather than squash the bars
TITLE_HEIGHT = 28
LEGEND_ROW = 18
CHAR_WIDTH = 0.6  # average glyph width as a fraction of font size: no font metrics on a server
CROWDED = 8  # more categories than this and the labels are rotated

# XML 1.0 forbids these characters even when escaped; they would make the document unparseable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Series:
    """One coloured set of bars, e.g. one verdict across the months."""

    name: str
    values: list[float]


@dataclass(frozen=True)
class _Plot:
    """The rectangle the bars are drawn in, in SVG user units (y grows downwards)."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def y(self, value: Decimal, axis_top: Decimal) -> float:
        # Rounded once here so stacked segments computed from the same total meet exactly.
        return round(self.bottom - float(value / axis_top) * self.height, 2)


# --- public API -------------------------------------------------------------------------------


def bar_chart(
    *,
    title: str,
    categories: list[str],
    series: list[Series],
    stacked: bool = True,
    unit: str = "",
    width: int = 640,
    height: int = 260,
    palette: tuple[str, ...] = PALETTE,
) -> SafeString:
    """Vertical bars: one group per category, one colour and pattern per series. `palette`
    gives the series' colours in order where they mean something elsewhere in the app (a
    verdict's red, amber and green)."""
    _check_size(width, height)
    cats = [str(c) for c in categories]
    data = [_series_values(i, s, len(cats)) for i, s in enumerate(series)]
    names = [str(s.name) for s in series]
    cid = _chart_id(str(title), (cats, names, data, stacked, unit, width, height))

    legend, legend_height = _legend(cid, names, width, top=TITLE_HEIGHT, palette=palette)
    columns = [sum((Decimal(v[i]) for v in data), Decimal(0)) for i in range(len(cats))]
    peak = max(columns if stacked else [Decimal(x) for v in data for x in v], default=Decimal(0))
    top = TITLE_HEIGHT + legend_height + 8

    if peak == 0:
        body = [
            *_defs(cid, len(data), palette),
            *legend,
            *_no_data(_Plot(12, top, width - 12, max(height, top + 60) - 12)),
        ]
        return _svg(cid, title, f"{NO_DATA}.", width, max(height, top + 60), body)

    ticks = _axis_ticks(peak, whole=all(float(x).is_integer() for v in data for x in v))
    labels = _category_labels(cats, width)
    plot = _bar_plot(width, height, top + (16 if unit else 0), ticks, labels)
    total_height = max(height, round(plot.bottom + labels.margin))
    body = [
        *_defs(cid, len(data), palette),
        *legend,
        *_y_axis(plot, ticks, unit),
        *_bars(cid, plot, ticks[-1], cats, names, data, stacked, unit, palette),
        *_x_labels(plot, labels),
    ]
    desc = _bar_summary(cats, names, data, columns, unit)
    return _svg(cid, title, desc, width, total_height, body)


def hbar_chart(
    *,
    title: str,
    labels: list[str],
    values: list[float],
    unit: str = "",
    width: int = 640,
) -> SafeString:
    """Horizontal bars for long labels (e.g. records by kind), each value written at its end."""
    _check_size(width, MIN_HEIGHT)
    rows = [str(label) for label in labels]
    nums = _check_values("values", values)
    if len(rows) != len(nums):
        raise ValueError(f"labels and values must be the same length ({len(rows)} != {len(nums)})")
    cid = _chart_id(str(title), (rows, nums, unit, width))
    peak = max((Decimal(v) for v in nums), default=Decimal(0))

    if peak == 0:
        plot = _Plot(12, TITLE_HEIGHT + 8, width - 12, MIN_HEIGHT - 12)
        return _svg(cid, title, f"{NO_DATA}.", width, MIN_HEIGHT, _no_data(plot))

    texts = [_with_unit(_fmt(Decimal(v)), unit) for v in nums]
    label_width = min(max(_text_width(r, 11) for r in rows) + 12, width * 0.4)
    value_width = min(max(_text_width(t, 11) for t in texts) + 10, width * 0.25)
    per_line = max(4, int((label_width - 12) / (11 * CHAR_WIDTH)))
    wrapped = [_wrap(r, per_line) for r in rows]
    row_height = 32 if any(len(w) > 1 for w in wrapped) else 24
    plot = _Plot(
        12 + label_width,
        TITLE_HEIGHT + 8,
        width - 12 - value_width,
        TITLE_HEIGHT + 8 + row_height * len(rows),
    )
    body = _hbars(plot, row_height, rows, wrapped, nums, texts, peak)
    desc = _summary([Decimal(v) for v in nums], rows, ("item", "items"), unit, "")
    return _svg(cid, title, desc, width, round(plot.bottom + 12), body)


# --- validation -------------------------------------------------------------------------------


def _check_size(width: int, height: int) -> None:
    # Below these the margins alone fill the chart and the plot area would be negative.
    if width < MIN_WIDTH:
        raise ValueError(f"width must be at least {MIN_WIDTH}, got {width}")
    if height < MIN_HEIGHT:
        raise ValueError(f"height must be at least {MIN_HEIGHT}, got {height}")


def _check_values(argument: str, values: Iterable[object]) -> list[float]:
    """Plain finite non-negative floats, or ValueError naming the argument at fault."""
    checked = []
    for i, raw in enumerate(values):
        try:
            if isinstance(raw, str | bytes):  # "3" is a bug upstream, not a number to coerce
                raise TypeError
            value = float(raw)  # type: ignore[arg-type]  # ints, floats, Decimals from Sum()
        except (TypeError, ValueError):
            raise ValueError(f"{argument}[{i}] is not a number: {raw!r}") from None
        if math.isnan(value):
            raise ValueError(f"{argument}[{i}] is NaN")
        if math.isinf(value):
            raise ValueError(f"{argument}[{i}] is infinite")
        if value < 0:
            raise ValueError(f"{argument}[{i}] is negative: {value!r}")
        checked.append(value + 0.0)  # + 0.0 turns -0.0 into 0.0
    return checked


def _series_values(index: int, series: Series, expected: int) -> list[float]:
    argument = f"series[{index}] ({series.name!r}) values"
    values = _check_values(argument, series.values)
    if len(values) != expected:
        raise ValueError(f"{argument} has {len(values)} values for {expected} categories")
    return values


# --- text and numbers -------------------------------------------------------------------------


def _esc(text: object) -> str:
    """Escaped for both text and attributes; illegal XML characters dropped, not escaped."""
    return escape(_NOT_XML.sub("", str(text)))


def _num(x: float) -> str:
    """A coordinate: two decimals are plenty and keep the markup short."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _fmt(value: Decimal) -> str:
    """A value for people: 1,234 or 2.5 or 3e+20; never 4.0."""
    if abs(value) >= Decimal("1e15") or (0 < abs(value) < Decimal("0.01")):
        mantissa, e, exponent = f"{value:.3g}".partition("e")
        if "." in mantissa:  # Decimal keeps the zeros of "1.00e+20"
            mantissa = mantissa.rstrip("0").rstrip(".")
        return mantissa + e + exponent
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}".rstrip("0").rstrip(".")


def _with_unit(number: str, unit: str) -> str:
    # "4 records" but "4%": symbols hug the number, words do not.
    if not unit:
        return number
    return f"{number}{unit}" if not unit[0].isalnum() else f"{number} {unit}"


def _text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)].rstrip() + "…"


def _wrap(text: str, per_line: int, lines: int = 2) -> list[str]:
    """Greedy word wrap; whatever does not fit in the last line is cut with an ellipsis."""
    out: list[str] = []
    words = text.split()
    while words and len(out) < lines:
        line = words.pop(0)
        while words and len(line) + 1 + len(words[0]) <= per_line:
            line += " " + words.pop(0)
        out.append(line)
    if words:
        out[-1] = out[-1] + " " + " ".join(words)
    return [_truncate(line, per_line) for line in out] or [""]


def _summary(
    amounts: list[Decimal], names: list[str], nouns: tuple[str, str], unit: str, extra: str
) -> str:
    """One sentence for the <desc>: the total, its spread and the highest entry."""
    noun = nouns[0] if len(names) == 1 else nouns[1]
    best = max(amounts)
    leaders = [n for n, a in zip(names, amounts, strict=True) if a == best]
    if len(leaders) == 1:
        highest = f"highest {leaders[0]} with"
    elif len(leaders) <= 3:
        highest = f"highest {', '.join(leaders[:-1])} and {leaders[-1]}, each with"
    else:
        highest = f"{len(leaders)} {noun} share the highest,"
    return (
        f"Total {_with_unit(_fmt(sum(amounts, Decimal(0))), unit)} across {len(names)} {noun}"
        f"{extra}; {highest} {_with_unit(_fmt(best), unit)}."
    )


def _bar_summary(
    cats: list[str], names: list[str], data: list[list[float]], columns: list[Decimal], unit: str
) -> str:
    breakdown = ""
    if len(names) > 1:
        parts = [
            f"{n} {_with_unit(_fmt(sum(map(Decimal, v), Decimal(0))), unit)}"
            for n, v in zip(names, data, strict=True)
        ]
        breakdown = f" ({', '.join(parts)})"
    return _summary(columns, cats, ("category", "categories"), unit, breakdown)


# --- axis -------------------------------------------------------------------------------------


def _axis_ticks(peak: Decimal, *, whole: bool) -> list[Decimal]:
    """3 to 5 round ticks from 0 to at least ``peak``: steps of 1, 2, 2.5 or 5 times 10^k.

    Decimal, not float: exact labels (0.3, not 0.30000000000000004) and no overflow for
    values near the float limit. ``whole`` keeps counts on whole-number steps.
    """
    magnitude = Decimal(1).scaleb((peak / 4).adjusted())
    step = Decimal(1)
    for m in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        candidate = m * magnitude
        if whole and candidate != candidate.to_integral_value():
            continue
        if candidate * 4 >= peak:
            step = candidate
            break
    # The smallest step that fits needs at least 2 intervals; a 1-interval axis (peak 1 in
    # whole numbers) is stretched to 2 so the axis keeps 3 ticks.
    count = max(2, int((peak / step).to_integral_value(rounding=ROUND_CEILING)))
    return [step * i for i in range(count + 1)]


@dataclass(frozen=True)
class _Labels:
    """How the category labels fit: shortened text, rotation, every nth shown."""

    texts: list[str]
    rotated: bool
    every: int
    margin: float  # space below the plot
    overhang: float = 0  # how far the first rotated label reaches left of its bar


def _bar_plot(width: int, height: int, top: float, ticks: list[Decimal], labels: _Labels) -> _Plot:
    left = 14 + max(_text_width(_fmt(t), 11) for t in ticks)
    if labels.rotated:  # leave room for the first label, which slants left past the axis
        band = (width - left - 12) / len(labels.texts)
        left = max(left, labels.overhang - band / 2 + 6)
    bottom = max(height - labels.margin, top + MIN_PLOT_HEIGHT)
    return _Plot(round(left, 2), top, width - 12, bottom)


def _y_axis(plot: _Plot, ticks: list[Decimal], unit: str) -> list[str]:
    parts = [f'<g class="y-axis" font-size="11" fill="{MUTED}">']
    if unit:
        parts.append(f'<text x="12" y="{_num(plot.top - 8)}">{_esc(unit)}</text>')
    for tick in ticks:
        y = _num(plot.y(tick, ticks[-1]))
        colour = AXIS if tick == 0 else GRID
        parts.append(
            f'<line x1="{_num(plot.left)}" y1="{y}" x2="{_num(plot.right)}" y2="{y}" '
            f'stroke="{colour}" stroke-width="1"/>'
            f'<text x="{_num(plot.left - 6)}" y="{y}" dy="0.35em" text-anchor="end">'
            f"{_esc(_fmt(tick))}</text>"
        )
    parts.append("</g>")
    return parts


def _category_labels(cats: list[str], width: int) -> _Labels:
    band = (width - 60) / max(1, len(cats))  # rough: the y-axis width is not known yet
    longest = max((len(c) for c in cats), default=0)
    if len(cats) <= CROWDED and _text_width("x" * longest, 11) <= band - 4:
        return _Labels(cats, rotated=False, every=1, margin=26)
    texts = [_truncate(c, 16) for c in cats]
    # Rotated 45 degrees, a label needs about 16 units along the axis to clear its neighbour.
    every = max(1, math.ceil(16 / band))
    drop = _text_width("x" * max(len(t) for t in texts), 11) * math.sqrt(0.5)
    overhang = _text_width(texts[0], 11) * math.sqrt(0.5)
    return _Labels(texts, rotated=True, every=every, margin=round(drop + 22, 2), overhang=overhang)


def _x_labels(plot: _Plot, labels: _Labels) -> list[str]:
    band = plot.width / len(labels.texts)
    parts = [f'<g class="x-axis" font-size="11" fill="{MUTED}">']
    for i, text in enumerate(labels.texts):
        if i % labels.every:
            continue
        x = _num(plot.left + band * (i + 0.5))
        if labels.rotated:
            y = _num(plot.bottom + 10)
            parts.append(
                f'<text x="{x}" y="{y}" dy="0.35em" text-anchor="end" '
                f'transform="rotate(-45 {x} {y})">{_esc(text)}</text>'
            )
        else:
            parts.append(
                f'<text x="{x}" y="{_num(plot.bottom + 16)}" text-anchor="middle">'
                f"{_esc(text)}</text>"
            )
    parts.append("</g>")
    return parts


# --- bars, legend and frame -------------------------------------------------------------------


def _fill(cid: str, index: int, palette: tuple[str, ...] = PALETTE) -> str:
    colour = palette[index % len(palette)]
    if not PATTERNS[index % len(PATTERNS)]:
        return colour
    # The colour after the url is SVG's fallback paint, for renderers without patterns.
    return f"url(#{cid}-fill-{index}) {colour}"


def _defs(cid: str, count: int, palette: tuple[str, ...] = PALETTE) -> list[str]:
    parts = ["<defs>"]
    for i in range(count):
        marks = PATTERNS[i % len(PATTERNS)]
        if marks:
            parts.append(
                f'<pattern id="{cid}-fill-{i}" patternUnits="userSpaceOnUse" width="6" '
                f'height="6"><rect width="6" height="6" fill="{palette[i % len(palette)]}"/>'
                f"{marks}</pattern>"
            )
    parts.append("</defs>")
    return parts


def _bar(x: float, y: float, width: float, height: float, fill: str, label: str) -> str:
    return (
        f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(width)}" height="{_num(height)}" '
        f'fill="{fill}" stroke="{OUTLINE}" stroke-width="0.75"><title>{_esc(label)}</title></rect>'
    )


def _bars(
    cid: str,
    plot: _Plot,
    axis_top: Decimal,
    cats: list[str],
    names: list[str],
    data: list[list[float]],
    stacked: bool,
    unit: str,
    palette: tuple[str, ...] = PALETTE,
) -> list[str]:
    """One <rect> per non-zero value; zeros draw nothing (the <desc> still counts them)."""
    band = plot.width / len(cats)
    draw = _stack if stacked else _group
    parts = ['<g class="bars">']
    for c, cat in enumerate(cats):
        column = [
            (
                f"{cat}, {name}: {_with_unit(_fmt(Decimal(v[c])), unit)}",
                v[c],
                _fill(cid, s, palette),
            )
            for s, (name, v) in enumerate(zip(names, data, strict=True))
        ]
        parts.extend(draw(plot, axis_top, plot.left + band * c, band, column))
    parts.append("</g>")
    return parts


def _stack(
    plot: _Plot, axis_top: Decimal, x: float, band: float, column: list[tuple[str, float, str]]
) -> list[str]:
    """First series at the bottom; each segment starts where the one below it ends."""
    width = band * 0.6
    x += (band - width) / 2
    done = Decimal(0)  # summed exactly so the segments meet with no gap or overlap
    parts = []
    for label, value, fill in column:
        if value > 0:
            base = plot.y(done, axis_top)
            done += Decimal(value)
            top = plot.y(done, axis_top)
            parts.append(_bar(x, top, width, base - top, fill, label))
    return parts


def _group(
    plot: _Plot, axis_top: Decimal, x: float, band: float, column: list[tuple[str, float, str]]
) -> list[str]:
    """Side by side in series order; a zero leaves its slot empty so slots line up."""
    width = band * 0.8 / len(column)
    x += band * 0.1
    base = plot.y(Decimal(0), axis_top)
    parts = []
    for s, (label, value, fill) in enumerate(column):
        if value > 0:
            top = plot.y(Decimal(value), axis_top)
            parts.append(_bar(x + width * s, top, width, base - top, fill, label))
    return parts


def _legend(
    cid: str, names: list[str], width: int, *, top: float, palette: tuple[str, ...] = PALETTE
) -> tuple[list[str], float]:
    """Swatch plus name for each series, wrapping onto more rows when the chart is narrow."""
    if not names:
        return [], 0
    parts = [f'<g class="legend" font-size="12" fill="{TEXT}">']
    x, row = 12.0, 0
    for i, name in enumerate(names):
        text = _truncate(name, 40)
        item = 18 + _text_width(text, 12) + 14
        if x > 12 and x + item > width - 12:
            x, row = 12.0, row + 1
        y = top + row * LEGEND_ROW
        swatch = _fill(cid, i, palette)
        parts.append(
            f'<rect x="{_num(x)}" y="{_num(y)}" width="12" height="12" fill="{swatch}" '
            f'stroke="{OUTLINE}" stroke-width="0.75"/>'
            f'<text x="{_num(x + 18)}" y="{_num(y + 6)}" dy="0.35em">{_esc(text)}</text>'
        )
        x += item
    parts.append("</g>")
    return parts, (row + 1) * LEGEND_ROW


def _hbars(
    plot: _Plot,
    row_height: int,
    rows: list[str],
    wrapped: list[list[str]],
    values: list[float],
    texts: list[str],
    peak: Decimal,
) -> list[str]:
    parts = [
        f'<line x1="{_num(plot.left)}" y1="{_num(plot.top)}" x2="{_num(plot.left)}" '
        f'y2="{_num(plot.bottom)}" stroke="{AXIS}" stroke-width="1"/>',
        f'<g class="bars" font-size="11" fill="{TEXT}">',
    ]
    for i, (row, lines, value, text) in enumerate(zip(rows, wrapped, values, texts, strict=True)):
        middle = plot.top + row_height * (i + 0.5)
        first = middle - (len(lines) - 1) * 6.5  # centre one or two lines on the bar
        for n, line in enumerate(lines):
            parts.append(
                f'<text x="{_num(plot.left - 8)}" y="{_num(first + 13 * n)}" dy="0.35em" '
                f'text-anchor="end">{_esc(line)}</text>'
            )
        length = round(float(Decimal(value) / peak) * plot.width, 2)
        if value > 0:
            thickness = row_height * 0.6
            parts.append(
                _bar(
                    plot.left,
                    middle - thickness / 2,
                    length,
                    thickness,
                    PALETTE[0],
                    f"{row}: {text}",
                )
            )
        parts.append(
            f'<text x="{_num(plot.left + length + 5)}" y="{_num(middle)}" dy="0.35em">'
            f"{_esc(text)}</text>"
        )
    parts.append("</g>")
    return parts


def _no_data(plot: _Plot) -> list[str]:
    # A visible frame keeps the report layout steady, and the words say why it is empty.
    return [
        f'<rect x="{_num(plot.left)}" y="{_num(plot.top)}" width="{_num(plot.width)}" '
        f'height="{_num(plot.height)}" fill="#ffffff" stroke="{AXIS}" stroke-width="1"/>',
        f'<text class="no-data" x="{_num(plot.left + plot.width / 2)}" '
        f'y="{_num(plot.top + plot.height / 2)}" dy="0.35em" text-anchor="middle" '
        f'font-size="13" fill="{MUTED}">{NO_DATA}</text>',
    ]


# --- document ---------------------------------------------------------------------------------


def _chart_id(title: str, data: object) -> str:
    """Readable and stable, yet different whenever the data differs.

    The slug helps when reading the markup; the hash of title plus data keeps two charts on
    one page apart even when they share a title. Identical charts share ids, which is harmless:
    each reference resolves to identical content. Deterministic output keeps caching possible.
    """
    digest = hashlib.blake2s(repr((title, data)).encode(), digest_size=4).hexdigest()
    slug = slugify(_NOT_XML.sub("", str(title)))[:40].strip("-")
    return f"chart-{slug}-{digest}" if slug else f"chart-{digest}"


def _svg(cid: str, title: str, desc: str, width: int, height: float, body: list[str]) -> SafeString:
    heading = _truncate(_NOT_XML.sub("", str(title)), int((width - 24) / (14 * CHAR_WIDTH)))
    markup = "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
            f'width="100%" aria-labelledby="{cid}-title {cid}-desc" font-family="{FONT}">',
            f'<title id="{cid}-title">{_esc(title)}</title>',
            f'<desc id="{cid}-desc">{_esc(desc)}</desc>',
            # White, not transparent: legible on any page background and on paper.
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
            f'<text x="12" y="18" font-size="14" font-weight="bold" fill="{TEXT}">'
            f"{_esc(heading)}</text>",
            *body,
            "</svg>",
        ]
    )
    return mark_safe(markup)  # every piece of caller text above went through _esc
