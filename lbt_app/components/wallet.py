"""The wallet's live permit QR, wrapped from assets/wallet.jsx."""

from __future__ import annotations

import reflex as rx


class LiveQr(rx.Component):
    """The permit QR with its 30-second live code, drawn on the phone; tap for full screen."""

    library = "$/public/wallet.jsx"
    tag = "LiveQr"

    payload: rx.Var[str]
    secret: rx.Var[str]
    saved: rx.Var[dict[str, str]]
    hint: rx.Var[str]
