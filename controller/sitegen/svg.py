"""Draw histograms as inline SVG: a 1D histogram as a step plot with error bars, a 2D one as a
heat map with a colour bar; axes with ticks at nice numbers, axis labels and a title.

Pure string building with the standard library: no matplotlib, no files, no Jinja. The SVG
carries its own presentation attributes, so it also reads right outside the site's CSS.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from controller.sitegen.model import Hist1D, Hist2D, Histogram

WIDTH, HEIGHT = 420, 290
LEFT, RIGHT, TOP, BOTTOM = 60, 16, 34, 46
COLORBAR = 58  # extra room on the right of a heat map
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="12"'
LINE = "#1f5fa8"
FILL = "#1f5fa8"
AXIS = "#333"
GRID = "#e5e7eb"
LEVELS = 48
# viridis, sampled at nine points
VIRIDIS = (
    (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
    (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
)  # fmt: skip


def nice_step(span: float, max_ticks: int = 6) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten giving at most ``max_ticks`` steps."""
    raw = abs(span) / max(1, max_ticks) or 1.0
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * magnitude >= raw * (1 - 1e-9):
            return m * magnitude
    return 10.0 * magnitude  # pragma: no cover - the loop always returns


def ticks(low: float, high: float, target: int = 6) -> list[float]:
    """Ticks within [low, high] at multiples of 1, 2, 2.5 or 5 times a power of ten, as close
    to ``target`` of them as can be; on a tie, a step of 2.5 loses, then the wider step wins."""
    if not high > low:
        return [low]
    magnitude = 10.0 ** math.floor(math.log10((high - low) / target))
    best: tuple[tuple[int, bool, float], int, int, float] | None = None
    for power in (magnitude / 10, magnitude, magnitude * 10):
        for m in (1.0, 2.0, 2.5, 5.0):
            step = m * power
            first = math.ceil(low / step - 1e-9)
            last = math.floor(high / step + 1e-9)
            score = (abs(last - first + 1 - target), m == 2.5, -step)
            if best is None or score < best[0]:
                best = (score, first, last, step)  # the ticks made for the best step only
    assert best is not None
    _, first, last, step = best
    return [round(i * step, 12) for i in range(first, last + 1)]


def nice_ceiling(value: float, max_ticks: int = 5) -> float:
    """``value`` rounded up to the next tick of a nice axis from zero."""
    if value <= 0:
        return 1.0
    step = nice_step(value, max_ticks)
    return math.ceil(value / step - 1e-9) * step


def tick_label(value: float, step: float) -> str:
    """``value`` with as many decimals as ``step`` needs; very large or small in e-notation."""
    if value == 0:
        return "0"
    if abs(value) >= 1e6 or (abs(step) < 1e-3 and abs(value) < 1e-3):
        return f"{value:.3g}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")
    decimals = 0
    while decimals < 10 and abs(round(step, decimals) - step) > abs(step) * 1e-9:
        decimals += 1
    text = f"{value:,.{decimals}f}"
    return "0" if text.strip("-0.,") == "" else text


def _n(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


class _Frame:
    """Maps data to pixels inside the plot area and draws the axes around it."""

    def __init__(
        self, x: tuple[float, float], y: tuple[float, float], right: int, whole_y: bool = False
    ) -> None:
        self.whole_y = whole_y  # y counts things: ticks at whole numbers only
        self.x0, self.x1 = x
        self.y0, self.y1 = y
        self.left, self.right = LEFT, WIDTH - right
        self.top, self.bottom = TOP, HEIGHT - BOTTOM

    def px(self, v: float) -> float:
        span = (self.x1 - self.x0) or 1.0
        return self.left + (v - self.x0) / span * (self.right - self.left)

    def py(self, v: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        return self.bottom - (v - self.y0) / span * (self.bottom - self.top)

    def axes(self, x_label: str, y_label: str, grid: bool, x_ticks: bool = True) -> list[str]:
        out: list[str] = []
        xt, yt = ticks(self.x0, self.x1, 6), ticks(self.y0, self.y1, 5)
        if self.whole_y:
            yt = [t for t in yt if t == int(t)] or yt
        x_step = xt[1] - xt[0] if len(xt) > 1 else 1.0
        y_step = yt[1] - yt[0] if len(yt) > 1 else 1.0
        for t in yt:
            y = _n(self.py(t))
            if grid:
                out.append(
                    f'<path class="grid" d="M{self.left},{y}H{self.right}" stroke="{GRID}"/>'
                )
            out.append(f'<path d="M{self.left - 5},{y}h5" stroke="{AXIS}"/>')
            out.append(
                f'<text x="{self.left - 8}" y="{y}" dy="0.32em" text-anchor="end">'
                f"{escape(tick_label(t, y_step))}</text>"
            )
        for t in xt if x_ticks else []:
            x = _n(self.px(t))
            out.append(f'<path d="M{x},{self.bottom}v5" stroke="{AXIS}"/>')
            out.append(
                f'<text x="{x}" y="{self.bottom + 17}" text-anchor="middle">'
                f"{escape(tick_label(t, x_step))}</text>"
            )
        out.append(
            f'<path class="axes" d="M{self.left},{self.top}V{self.bottom}H{self.right}" '
            f'fill="none" stroke="{AXIS}"/>'
        )
        mid_x, mid_y = (self.left + self.right) / 2, (self.top + self.bottom) / 2
        out.append(
            f'<text class="xlabel" x="{_n(mid_x)}" y="{HEIGHT - 8}" text-anchor="middle">'
            f"{escape(x_label)}</text>"
        )
        out.append(
            f'<text class="ylabel" transform="translate(14,{_n(mid_y)}) rotate(-90)" '
            f'text-anchor="middle">{escape(y_label)}</text>'
        )
        return out


def _svg(title: str, body: list[str]) -> str:
    head = (
        f'<svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" {FONT} fill="{AXIS}">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>'
        f'<text class="title" x="{LEFT}" y="20" font-size="14" font-weight="600">'
        f"{escape(title)}</text>"
    )
    return head + "".join(body) + "</svg>"


def _finite(v: float) -> float:
    return v if math.isfinite(v) else 0.0


def hist1d_svg(h: Hist1D) -> str:
    """A step plot of the bin contents with vertical error bars at the bin centres."""
    edges = h.x.edges
    values = [_finite(v) for v in h.values]
    errors = [_finite(e) for e in h.errors]
    high = max((v + e for v, e in zip(values, errors, strict=True)), default=0.0)
    low = min((v - e for v, e in zip(values, errors, strict=True)), default=0.0)
    y_high = nice_ceiling(high * 1.05) if high > 0 else (0.0 if low < 0 else 1.0)
    y_low = -nice_ceiling(-low * 1.05) if low < 0 else 0.0
    frame = _Frame((edges[0], edges[-1]), (y_low, y_high), RIGHT)
    body = frame.axes(h.x.label or h.name, "sum of weights" if h.weighted else "entries", grid=True)
    base = _n(frame.py(max(y_low, 0.0)))
    steps = "".join(
        f"V{_n(frame.py(v))}H{_n(frame.px(edges[i + 1]))}" for i, v in enumerate(values)
    )
    line = f"M{_n(frame.px(edges[0]))},{base}{steps}V{base}"
    body.append(f'<path class="hist-area" d="{line}Z" fill="{FILL}" fill-opacity="0.14"/>')
    body.append(
        f'<path class="hist-line" d="{line}" fill="none" stroke="{LINE}" stroke-width="1.5"/>'
    )
    bars = "".join(
        f"M{_n(frame.px((edges[i] + edges[i + 1]) / 2))},{_n(frame.py(v - e))}"
        f"V{_n(frame.py(v + e))}"
        for i, (v, e) in enumerate(zip(values, errors, strict=True))
        if e > 0
    )
    if bars:
        body.append(f'<path class="hist-errors" d="{bars}" stroke="#111" stroke-width="1"/>')
    if not any(values):
        body.append(_empty_note(frame))
    return _svg(h.title or h.name, body)


def color(fraction: float) -> str:
    """The viridis colour at ``fraction`` in [0, 1], as '#rrggbb'."""
    f = min(1.0, max(0.0, fraction)) * (len(VIRIDIS) - 1)
    i = min(int(f), len(VIRIDIS) - 2)
    t = f - i
    a, b = VIRIDIS[i], VIRIDIS[i + 1]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


def hist2d_svg(h: Hist2D) -> str:
    """A heat map: one colour per bin (empty bins left blank) and a colour bar on the right."""
    xe, ye = h.x.edges, h.y.edges
    frame = _Frame((xe[0], xe[-1]), (ye[0], ye[-1]), RIGHT + COLORBAR)
    peak = max((_finite(v) for row in h.values for v in row), default=0.0)
    cells: dict[int, list[str]] = {}
    for ix, row in enumerate(h.values):
        x, x2 = frame.px(xe[ix]), frame.px(xe[ix + 1])
        for iy, raw in enumerate(row):
            v = _finite(raw)
            if v <= 0 or peak <= 0:
                continue
            y, y2 = frame.py(ye[iy + 1]), frame.py(ye[iy])
            level = min(LEVELS - 1, int(v / peak * LEVELS))
            cells.setdefault(level, []).append(f"M{_n(x)},{_n(y)}H{_n(x2)}V{_n(y2)}H{_n(x)}Z")
    body = [
        f'<path class="hist-cells" d="{"".join(d)}" fill="{color((lv + 0.5) / LEVELS)}"/>'
        for lv, d in sorted(cells.items())
    ]
    body.extend(frame.axes(h.x.label or "x", h.y.label or "y", grid=False))
    body.extend(_colorbar(frame, peak))
    if not cells:
        body.append(_empty_note(frame))
    return _svg(h.title or h.name, body)


def _colorbar(frame: _Frame, peak: float) -> list[str]:
    x, width = frame.right + 14, 12
    top, bottom = frame.top, frame.bottom
    out = []
    for lv in range(LEVELS):
        y1 = bottom - (lv + 1) / LEVELS * (bottom - top)
        h = (bottom - top) / LEVELS
        out.append(
            f'<rect class="colorbar" x="{x}" y="{_n(y1)}" width="{width}" height="{_n(h + 0.3)}" '
            f'fill="{color((lv + 0.5) / LEVELS)}"/>'
        )
    out.append(
        f'<rect x="{x}" y="{top}" width="{width}" height="{bottom - top}" fill="none" '
        f'stroke="{AXIS}" stroke-width="0.5"/>'
    )
    top_value = peak if peak > 0 else 1.0
    marks = ticks(0.0, top_value, 5)
    step = marks[1] - marks[0] if len(marks) > 1 else 1.0
    for t in marks:
        y = _n(bottom - t / top_value * (bottom - top))
        out.append(f'<path d="M{x + width},{y}h4" stroke="{AXIS}"/>')
        out.append(
            f'<text x="{x + width + 6}" y="{y}" dy="0.32em">{escape(tick_label(t, step))}</text>'
        )
    return out


def _empty_note(frame: _Frame) -> str:
    return (
        f'<text class="empty" x="{_n((frame.left + frame.right) / 2)}" '
        f'y="{_n((frame.top + frame.bottom) / 2)}" text-anchor="middle" fill="#6b7280">'
        "no entries</text>"
    )


def histogram_svg(h: Histogram) -> str:
    """The SVG picture of a 1D or 2D histogram."""
    return hist1d_svg(h) if isinstance(h, Hist1D) else hist2d_svg(h)


STATUS_COLOURS = {"done": "#15803d", "warning": "#b45309", "failed": "#b91c1c"}


def series_svg(
    title: str,
    y_label: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    bars: bool = False,
    colours: Sequence[str] | None = None,
    whole: bool = False,
) -> str:
    """Values over categories (days, tests): bars, or a line with one dot per value (a dot's
    colour may say the test's status). ``None`` values are gaps; ``whole``: the values count
    things (the axis has no half train)."""
    n = max(1, len(labels))
    shown = [_finite(v) for v in values if v is not None]
    high = nice_ceiling(max(shown, default=0.0) * 1.05) if any(v > 0 for v in shown) else 1.0
    if whole:
        high = float(math.ceil(high))
    frame = _Frame((0.0, float(n)), (0.0, high), RIGHT, whole)
    body = frame.axes("", y_label, grid=True, x_ticks=False)
    step = max(1, math.ceil(n / 7))
    for i, label in enumerate(labels):
        if i % step == 0:
            body.append(
                f'<text x="{_n(frame.px(i + 0.5))}" y="{frame.bottom + 17}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    points = []
    for i, v in enumerate(values):
        if v is None:
            continue
        x, y = frame.px(i + 0.5), frame.py(_finite(v))
        colour = colours[i] if colours else FILL
        if bars:
            w = (frame.px(1) - frame.px(0)) * 0.7
            body.append(
                f'<rect x="{_n(x - w / 2)}" y="{_n(y)}" width="{_n(w)}" '
                f'height="{_n(frame.bottom - y)}" fill="{colour}"><title>{escape(labels[i])}: '
                f"{escape(tick_label(_finite(v), 0.001))}</title></rect>"
            )
        else:
            points.append(f"{_n(x)},{_n(y)}")
            body.append(
                f'<circle cx="{_n(x)}" cy="{_n(y)}" r="4" fill="{colour}"><title>'
                f"{escape(labels[i])}: {escape(tick_label(_finite(v), 0.001))}</title></circle>"
            )
    if len(points) > 1:
        body.insert(0, f'<polyline points="{" ".join(points)}" fill="none" stroke="{LINE}"/>')
    if not shown:
        body.append(
            f'<text x="{WIDTH // 2}" y="{HEIGHT // 2}" text-anchor="middle" fill="#666">'
            "nothing yet</text>"
        )
    return _svg(title, body)
