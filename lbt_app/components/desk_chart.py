"""The desk's crossings-per-day chart, wrapped from assets/desk_chart.jsx: recharts is fetched
after the desk's first paint and by no other page (Reflex's own rx.recharts parts are static
imports of the whole library into the page's chunk)."""

from __future__ import annotations

import reflex as rx

RECHARTS = "recharts@3.10.1"  # the version Reflex 0.10's rx.recharts pins (reflex.lock/)


class DeskChart(rx.Component):
    """Stacked bars, one series per crossing point: `data` rows are {"day", <point>: count}."""

    library = "$/public/desk_chart.jsx"
    tag = "DeskChart"
    lib_dependencies: list[str] = [RECHARTS]  # noqa: RUF012

    data: rx.Var[list[dict[str, str | int]]]
    series: rx.Var[list[str]]
    height: rx.Var[int]
