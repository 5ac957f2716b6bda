"""The live camera scanner, its decoder's warm-up and the verdict cue, from assets/scanner.jsx."""

from __future__ import annotations

import reflex as rx
from reflex_base.event import no_args_event_spec, passthrough_event_spec

# The npm package that decodes in the browser; pinned here and in reflex.lock/.
ZXING_WASM = "zxing-wasm@3.1.6"


class Scanner(rx.Component):
    """Full-screen camera view; reports a decoded permit text, or frames for the server."""

    library = "$/public/scanner.jsx"
    tag = "Scanner"
    lib_dependencies: list[str] = [ZXING_WASM]  # noqa: RUF012

    acks: rx.Var[int]
    repeat_ms: rx.Var[int]
    labels: rx.Var[dict[str, str]]

    on_text: rx.EventHandler[passthrough_event_spec(str, float)]
    on_frame: rx.EventHandler[passthrough_event_spec(str, float)]
    on_close: rx.EventHandler[no_args_event_spec]


class DecoderWarmup(rx.Component):
    """Nothing on screen: once `live`, the decoder loads in the background (browser idle)."""

    library = "$/public/scanner.jsx"
    tag = "DecoderWarmup"

    live: rx.Var[bool]


class VerdictCue(rx.Component):
    """A vibration and a tone per verdict, distinct for VALID, CHECK and INVALID."""

    library = "$/public/scanner.jsx"
    tag = "VerdictCue"

    outcome: rx.Var[str]
    stamp: rx.Var[int]
