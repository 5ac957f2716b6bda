"""The desk's crossings-per-day chart: a bar a day, a segment per crossing point, drawn with
boxes from the numbers AuthorityState computes (no charting library: nothing more to fetch or
run on a cheap phone). Each bar says its day and counts in words (an image with a name, for a
screen reader, and a tooltip where there is a pointer)."""

from __future__ import annotations

import reflex as rx

from lbt_app.components.layout import T
from lbt_app.states.desk import AuthorityState as A

HEIGHT = "160px"


def _day(segments: rx.Var, day: rx.Var) -> rx.Component:
    label = A.chart_labels[day]
    return rx.box(
        rx.foreach(
            segments,
            lambda s: rx.box(height=s["height"], background=s["colour"], flex_shrink="0"),
        ),
        display="flex",
        flex_direction="column-reverse",  # the first point at the bottom
        flex="1",
        min_width="0",
        height="100%",
        role="img",
        aria_label=label,
        title=label,
        data_testid="chart-day",
    )


def crossings_chart() -> rx.Component:
    return rx.vstack(
        rx.text(T("Most in a day"), ": ", A.chart_top, size="1", color_scheme="gray"),
        rx.box(
            rx.foreach(A.chart_bars, _day),
            display="flex",
            align_items="flex-end",
            gap="2px",
            height=HEIGHT,
            width="100%",
            border_bottom="1px solid var(--gray-8)",
        ),
        rx.hstack(
            rx.text(A.chart_span[0], size="1", color_scheme="gray"),
            rx.spacer(),
            rx.text(A.chart_span[1], size="1", color_scheme="gray"),
            width="100%",
        ),
        rx.hstack(
            rx.foreach(
                A.chart_legend,
                lambda p: rx.hstack(
                    rx.box(width="12px", height="12px", background=p["colour"]),
                    rx.text(p["name"], size="1"),
                    align="center",
                    spacing="1",
                ),
            ),
            wrap="wrap",
            spacing="3",
        ),
        spacing="1",
        width="100%",
    )
