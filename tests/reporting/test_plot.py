"""The FLOPS/quality plot: files, byte-stable output, and labels that overlap nothing."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

pytest.importorskip("matplotlib", reason="the plot needs the [plot] extra")

from splade_beir.reporting.plot import Point, draw, marker_boxes, write_plot  # noqa: E402

# Crowded on purpose: close points (A, B, F), a far one, ensembles, and rows without FLOPS (lines)
# at nearly equal quality (E and A+E), as in the demo config.
POINTS = [
    Point("A", 95.3, 2.48), Point("B", 94.5, 2.00), Point("C", 70.2, 2.48), Point("F", 95.0, 2.30),
    Point("A+B", 95.6, 4.48, "ensemble"), Point("A+C", 88.5, 4.96, "ensemble"),
    Point("A+B+C", 91.9, 6.96, "ensemble"), Point("D", 88.7, None), Point("E", 98.6, None),
    Point("A+E", 98.2, None, "ensemble"), Point("G", None, 3.0),
]


def overlaps(a, b) -> bool:
    return min(a.x1, b.x1) > max(a.x0, b.x0) and min(a.y1, b.y1) > max(a.y0, b.y0)


def test_labels_overlap_no_label_and_no_other_marker():
    fig, boxes = draw(POINTS, "FLOPS", "nDCG@10 x 100")
    drawn = [p for p in POINTS if p.quality is not None and p.flops is not None]
    assert len(boxes) == len(drawn) + 3  # a label per point, then one per reference line (G is not drawn)
    for i, a in enumerate(boxes):
        for b in boxes[:i]:
            assert not overlaps(a, b), (a, b)
    markers = marker_boxes(fig.axes[0], drawn)
    for i, box in enumerate(boxes[:len(drawn)]):
        assert not any(overlaps(box, m) for j, m in enumerate(markers) if j != i)
    frame = fig.axes[0].get_window_extent()
    assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1 for b in boxes)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"A", "A+B+C", "E (no FLOPS)", "A+E (no FLOPS)"} <= texts and "G" not in texts
    assert fig.axes[0].get_xscale() == "log"


def test_writes_svg_and_png_byte_stable(tmp_path):
    paths = write_plot(POINTS, tmp_path, "FLOPS (x), log scale", "nDCG@10 x 100", title="t")
    assert [p.name for p in paths] == ["flops_quality.svg", "flops_quality.png"]
    svg, png = (p.read_bytes() for p in paths)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and ET.fromstring(svg).tag.endswith("svg")
    assert b"<dc:date>" not in svg
    again = write_plot(POINTS, tmp_path / "again", "FLOPS (x), log scale", "nDCG@10 x 100", title="t")
    assert [p.read_bytes() for p in again] == [svg, png]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again", "flops_quality.png", "flops_quality.svg"]


def test_a_single_point_and_wide_flops_ranges_draw():
    fig, boxes = draw([Point("A", 50.0, 1.0)], "x", "y")
    assert len(boxes) == 1
    fig, boxes = draw([Point("A", 50.0, 0.05), Point("B", 52.0, 40.0)], "x", "y")
    low, high = fig.axes[0].get_xlim()
    assert low < 0.05 and high > 40.0 and len(boxes) == 2
