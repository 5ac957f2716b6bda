"""One button that picks one file and sends it to a handler; the browser checks type and size."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar

from lbt_app.states.session import SessionState

IMAGE_TYPES: dict[str, list[str]] = {"image/jpeg": [], "image/png": [], "image/webp": []}
PROOF_TYPES: dict[str, list[str]] = {**IMAGE_TYPES, "application/pdf": [".pdf"]}
CSV_TYPES: dict[str, list[str]] = {"text/csv": [".csv"], "text/plain": [".csv", ".txt"]}


def _rejection_codes(rejected: rx.Var) -> rx.event.EventSpec:
    """Only the reasons travel, never the refused file itself (it may be 30 MB)."""
    codes = (
        rejected.to(ArrayVar)
        .map(
            lambda r: r.to(ObjectVar)["errors"].to(ArrayVar).map(lambda e: e.to(ObjectVar)["code"])
        )
        .join(",")
    )
    return SessionState.file_rejected(codes)


def file_button(
    icon: rx.Component,
    label: rx.Var,
    *,
    upload_id: str,
    accept: dict[str, list[str]],
    max_size: int,
    handler: rx.event.EventHandler,
    **button_props,
) -> rx.Component:
    """`handler(files)` receives the chosen file; a refused one gets a message instead.
    The hidden file input carries the button's words too, so it is never a nameless field."""
    root = rx.upload.root(
        rx.button(icon, label, type="button", **button_props),
        id=upload_id,
        accept=accept,
        max_files=1,
        max_size=max_size,
        multiple=False,
        no_drag=True,
        on_drop=handler(rx.upload_files(upload_id=upload_id)),
        on_drop_rejected=_rejection_codes,
        width=button_props.get("width", "auto"),
    )
    file_input = root.children[0].children[0]  # Reflex's dropzone: <div><input type=file>…
    assert file_input.tag == "input", "rx.upload.root no longer starts with its file input"
    file_input.custom_attrs["aria-label"] = label
    return root
