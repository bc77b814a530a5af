"""The owner's 30-day stats chart as a self-contained SVG (no fonts or scripts to fetch).

Three panels over the same days: impressions and reads (lines), engagement (likes,
comments and votes as stacked bars) and followers (new above the axis, lost below).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

WIDTH, LEFT, RIGHT = 960, 64, 24
PANEL_HEIGHT, PANEL_GAP, TOP = 150, 48, 72
COLORS = {"impressions": "#1f77b4", "reads": "#ff7f0e", "likes": "#e4393c", "comments": "#2ca02c",
          "votes": "#9467bd", "new_followers": "#17becf", "lost_followers": "#7f7f7f"}
LABELS = {"impressions": "曝光", "reads": "阅读", "likes": "点赞", "comments": "评论", "votes": "投票",
          "new_followers": "新增粉丝", "lost_followers": "取关"}


def _n(row: dict[str, Any], key: str) -> int:
    return int(row.get(key) or 0)


def _nice_max(value: int) -> int:
    """A round axis maximum at or above ``value`` (1, 2, 5 × 10^k)."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _text(x: float, y: float, text: str, size: int = 12, anchor: str = "start", color: str = "#333") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{color}">'
            f"{escape(text)}</text>")


def render_stats_chart(rows: Sequence[dict[str, Any]], title: str) -> str:
    """An SVG document charting ``rows`` (one per day, oldest first, with ``day`` and counters)."""
    days = len(rows)
    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / max(days, 1)
    height = TOP + 3 * PANEL_HEIGHT + 2 * PANEL_GAP + 56
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">',
             f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>', _text(LEFT, 32, title, 18)]

    def x_of(i: int) -> float:
        return LEFT + slot * i + slot / 2

    def panel(index: int, name: str, top_value: int, keys: Sequence[str], bottom_label: str = "0"
              ) -> tuple[float, float]:
        top = TOP + index * (PANEL_HEIGHT + PANEL_GAP)
        parts.append(_text(LEFT, top - 10, name, 14))
        legend_x = LEFT + 120
        for key in keys:
            parts.append(f'<rect x="{legend_x}" y="{top - 20}" width="10" height="10" fill="{COLORS[key]}"/>')
            parts.append(_text(legend_x + 14, top - 10, LABELS[key], 12))
            legend_x += 90
        parts.append(f'<line x1="{LEFT}" y1="{top + PANEL_HEIGHT}" x2="{WIDTH - RIGHT}" '
                     f'y2="{top + PANEL_HEIGHT}" stroke="#999"/>')
        parts.append(_text(LEFT - 6, top + 4, str(top_value), 11, "end", "#666"))
        parts.append(_text(LEFT - 6, top + PANEL_HEIGHT, bottom_label, 11, "end", "#666"))
        return top, PANEL_HEIGHT / top_value

    # Panel 1: impressions and reads as lines.
    reach_max = _nice_max(max((max(_n(r, "impressions"), _n(r, "reads")) for r in rows), default=0))
    top, scale = panel(0, "曝光与阅读", reach_max, ("impressions", "reads"))
    for key in ("impressions", "reads"):
        points = " ".join(f"{x_of(i):.1f},{top + PANEL_HEIGHT - _n(r, key) * scale:.1f}" for i, r in enumerate(rows))
        if points:
            parts.append(f'<polyline points="{points}" fill="none" stroke="{COLORS[key]}" stroke-width="2"/>')

    # Panel 2: likes, comments and votes stacked.
    engaged = ("likes", "comments", "votes")
    engage_max = _nice_max(max((sum(_n(r, k) for k in engaged) for r in rows), default=0))
    top, scale = panel(1, "互动", engage_max, engaged)
    bar = max(slot * 0.7, 1)
    for i, r in enumerate(rows):
        base = top + PANEL_HEIGHT
        for key in engaged:
            h = _n(r, key) * scale
            if h > 0:
                base -= h
                parts.append(f'<rect x="{x_of(i) - bar / 2:.1f}" y="{base:.1f}" width="{bar:.1f}" '
                             f'height="{h:.1f}" fill="{COLORS[key]}"/>')

    # Panel 3: new followers up, lost followers down from the middle line.
    follow_max = _nice_max(max((max(_n(r, "new_followers"), _n(r, "lost_followers")) for r in rows), default=0))
    top, _ = panel(2, "粉丝变化", follow_max, ("new_followers", "lost_followers"), bottom_label=f"-{follow_max}")
    middle = top + PANEL_HEIGHT / 2
    parts.append(_text(LEFT - 6, middle + 4, "0", 11, "end", "#666"))
    half = PANEL_HEIGHT / 2 / follow_max
    parts.append(f'<line x1="{LEFT}" y1="{middle}" x2="{WIDTH - RIGHT}" y2="{middle}" stroke="#ccc"/>')
    for i, r in enumerate(rows):
        gained, lost = _n(r, "new_followers") * half, _n(r, "lost_followers") * half
        if gained:
            parts.append(f'<rect x="{x_of(i) - bar / 2:.1f}" y="{middle - gained:.1f}" width="{bar:.1f}" '
                         f'height="{gained:.1f}" fill="{COLORS["new_followers"]}"/>')
        if lost:
            parts.append(f'<rect x="{x_of(i) - bar / 2:.1f}" y="{middle:.1f}" width="{bar:.1f}" '
                         f'height="{lost:.1f}" fill="{COLORS["lost_followers"]}"/>')

    # Day labels under the last panel: every 5th day and the last one.
    label_y = TOP + 3 * PANEL_HEIGHT + 2 * PANEL_GAP + 18
    for i, r in enumerate(rows):
        if i % 5 == 0 or i == days - 1:
            parts.append(_text(x_of(i), label_y, str(r.get("day", ""))[5:], 11, "middle", "#666"))
    if not rows:
        parts.append(_text(WIDTH / 2, TOP + PANEL_HEIGHT, "暂无数据", 16, "middle", "#999"))
    parts.append("</svg>")
    return "\n".join(parts)
