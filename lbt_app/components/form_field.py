"""A form control under its label, with the field's error (a message id) beneath it."""

from __future__ import annotations

import reflex as rx

from lbt_app.components.layout import T_var


def labelled(
    label: rx.Var, control: rx.Component, *, name: str, html_for: str, errors: rx.Var
) -> rx.Component:
    """`errors` maps field names to message ids; the one for `name`, if any, shows in red."""
    return rx.vstack(
        rx.el.label(
            label,
            html_for=html_for,
            style={"font_size": "var(--font-size-2)", "font_weight": "500"},
        ),
        control,
        rx.cond(
            errors.contains(name),
            rx.text(
                T_var(errors[name]),
                color_scheme="red",
                size="1",
                data_testid=f"error-{name}",
            ),
        ),
        spacing="1",
        width="100%",
    )


def named_options(choices: rx.Var) -> rx.Component:
    """A select's options from a list of {code, name}: the name shown, the code sent."""
    return rx.foreach(choices, lambda c: rx.el.option(c["name"], value=c["code"]))
