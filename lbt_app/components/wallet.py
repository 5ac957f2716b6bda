"""The wallet's live permit QR, wrapped from assets/wallet.jsx."""

from __future__ import annotations

import reflex as rx


class LiveQr(rx.Component):
    """The permit QR with its 30-second live code, drawn on the phone; a button that shows it
    full screen (`open_label` names it, `close_label` names the way back, `tap_label` under it
    says so). `failed_label` takes its place if the code cannot be drawn."""

    library = "$/public/wallet.jsx"
    tag = "LiveQr"

    payload: rx.Var[str]
    secret: rx.Var[str]
    saved: rx.Var[dict[str, str]]
    hint: rx.Var[str]
    open_label: rx.Var[str]
    close_label: rx.Var[str]
    tap_label: rx.Var[str]
    failed_label: rx.Var[str]
