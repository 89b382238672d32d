"""The SVG pictures: nice ticks, bar heights proportional to the contents, error bars where there
are errors, heat-map colours by content, and text that cannot break the markup."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from controller.sitegen import svg
from controller.sitegen.model import Axis, Hist1D, Hist2D

NS = {"s": "http://www.w3.org/2000/svg"}


def hist1d(values: list[float], edges: list[float] | None = None, label: str = "x") -> Hist1D:
    edges = edges or [float(i) for i in range(len(values) + 1)]
    errors = tuple(math.sqrt(abs(v)) for v in values)
    return Hist1D(
        "h", "", Axis(label, tuple(edges)), tuple(values), errors, sum(values), None, None
    )


def parse(text: str) -> ET.Element:
    return ET.fromstring(text)  # also proves the SVG is well-formed XML


def path_d(root: ET.Element, cls: str) -> str:
    found = [p.get("d", "") for p in root.iterfind(".//s:path", NS) if p.get("class") == cls]
    assert len(found) == 1, f"expected one path of class {cls}, found {len(found)}"
    return found[0]


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iterfind(".//s:text", NS)]


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (60, 120, [60, 70, 80, 90, 100, 110, 120]),
        (0, 150, [0, 25, 50, 75, 100, 125, 150]),
        (-math.pi, math.pi, [-3, -2, -1, 0, 1, 2, 3]),
        (-2.5, 2.5, [-2, -1, 0, 1, 2]),
        (0, 2304, [0, 500, 1000, 1500, 2000]),
    ],
)
def test_ticks_fall_on_about_six_nice_numbers_inside_the_range(
    low: float, high: float, expected: list[float]
) -> None:
    assert svg.ticks(low, high) == pytest.approx(expected)


def test_tick_labels_use_the_decimals_of_the_step() -> None:
    assert svg.tick_label(0.25, 0.05) == "0.25"
    assert svg.tick_label(2.5, 2.5) == "2.5"
    assert svg.tick_label(-2.0, 1.0) == "-2"
    assert svg.tick_label(1500.0, 500.0) == "1,500"
    assert svg.tick_label(3.0e7, 1.0e7) == "3e7"
    assert svg.tick_label(-1e-17, 0.2) == "0"


def test_nice_ceiling_leaves_room_above_the_tallest_bin() -> None:
    assert svg.nice_ceiling(4.2) == 5
    assert svg.nice_ceiling(331) == 400
    assert svg.nice_ceiling(0) == 1


def test_step_heights_are_proportional_to_the_bin_contents() -> None:
    values = [1.0, 2.0, 4.0, 0.0, 3.0]
    root = parse(svg.hist1d_svg(hist1d(values)))
    d = path_d(root, "hist-line")
    heights = [float(v) for v in re.findall(r"V([-\d.]+)", d)]
    base = heights[-1]  # the path comes back down to the baseline at the end
    drawn = [base - h for h in heights[:-1]]
    assert len(drawn) == len(values)
    scale = drawn[2] / 4.0
    assert drawn == pytest.approx([v * scale for v in values], abs=0.02)
    xs = [float(x) for x in re.findall(r"H([-\d.]+)", d)]
    assert xs == sorted(xs) and len(xs) == len(values)  # one horizontal step per bin, left to right


def test_error_bars_are_drawn_for_bins_with_errors_only() -> None:
    root = parse(svg.hist1d_svg(hist1d([4.0, 0.0, 9.0])))
    bars = path_d(root, "hist-errors")
    assert bars.count("M") == 2


def test_axes_carry_ticks_labels_and_the_title_escaped() -> None:
    h = Hist1D(
        "mass",
        "m < 120 & opposite charge",
        Axis("m(μμ) [GeV]", (60.0, 90.0, 120.0)),
        (3.0, 5.0),
        (1.7, 2.2),
        8.0,
        90.0,
        10.0,
    )
    text = svg.hist1d_svg(h)
    root = parse(text)
    labels = texts(root)
    assert "m < 120 & opposite charge" in labels
    assert "m(μμ) [GeV]" in labels
    assert "entries" in labels
    assert {"60", "90", "120"} <= set(labels)
    assert "&amp;" in text and "<120" not in text


def test_negative_contents_extend_the_axis_below_zero() -> None:
    root = parse(svg.hist1d_svg(hist1d([2.0, -3.0, 1.0])))
    assert any(t.startswith("-") for t in texts(root))


def test_an_empty_histogram_still_draws_axes_and_says_so() -> None:
    root = parse(svg.hist1d_svg(hist1d([0.0, 0.0, 0.0])))
    assert "no entries" in texts(root)
    assert path_d(root, "hist-line")


def test_heat_map_colours_each_filled_bin_by_its_content() -> None:
    values = ((0.0, 1.0), (2.0, 8.0), (4.0, 0.0))
    h = Hist2D(
        "eta_phi",
        "",
        Axis("η", (0.0, 1.0, 2.0, 3.0)),
        Axis("φ", (0.0, 1.0, 2.0)),
        values,
        15.0,
        1.5,
        1.0,
    )
    root = parse(svg.hist2d_svg(h))
    cells = [p for p in root.iterfind(".//s:path", NS) if p.get("class") == "hist-cells"]
    assert sum(p.get("d", "").count("Z") for p in cells) == 4  # empty bins are left blank
    by_colour = {p.get("fill"): p.get("d", "").count("Z") for p in cells}
    assert by_colour[svg.color((svg.LEVELS - 0.5) / svg.LEVELS)] == 1  # the peak alone at the top
    assert "η" in texts(root) and "φ" in texts(root)
    assert len([r for r in root.iterfind(".//s:rect", NS) if r.get("class") == "colorbar"]) > 10


def test_viridis_runs_from_dark_purple_to_yellow() -> None:
    assert svg.color(0.0) == "#440154"
    assert svg.color(1.0) == "#fde725"


@pytest.mark.parametrize("top", [1, 2, 3, 7])
def test_a_count_per_day_has_whole_ticks_only(top: int) -> None:
    """Trains finished per day: its axis reads 0, 1, 2... never 'half a train'."""
    days = [f"11-{d:02d}" for d in range(23, 30)]
    drawn = parse(
        svg.series_svg("Trains", "trains", days, [0.0] * 6 + [float(top)], True, whole=True)
    )
    labels = [t for t in texts(drawn) if re.fullmatch(r"[\d.,]+", t)]
    assert labels and all("." not in t for t in labels), labels
    assert str(top) in labels or int(labels[-1]) > top
    # measured things keep their fractional ticks
    cpu = parse(svg.series_svg("CPU", "CPU minutes", days, [0.0] * 6 + [0.066], True))
    assert any("." in t for t in texts(cpu))
