"""The holder's photo wherever it is shown: always in the portrait's own shape."""

from __future__ import annotations

import reflex as rx

from lbt_app.components.layout import T
from lbt_app.core.imaging import PORTRAIT_SIZE


def portrait(src: rx.Var, width: int, **props) -> rx.Component:
    """`width` px wide and as tall as the stored portrait's proportions make it; a row with
    long text beside it cannot squeeze it (no flex shrink), and a photo of another shape is
    cropped, never stretched."""
    height = round(width * PORTRAIT_SIZE[1] / PORTRAIT_SIZE[0])
    return rx.image(
        src=src,
        width=f"{width}px",
        height=f"{height}px",
        object_fit="cover",
        flex_shrink="0",
        alt=T("Holder's photo"),
        **props,
    )
