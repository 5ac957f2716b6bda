"""The audit chain's last check with a "Check now" button (admin and oversight pages)."""

from __future__ import annotations

import reflex as rx

from lbt_app.components.layout import T
from lbt_app.states.audit_chain import AuditChainState as S


def audit_chain(check: rx.EventHandler) -> rx.Component:
    """`check` is the page state's own background handler (each checks its own role)."""
    return rx.vstack(
        rx.callout.root(
            # three named icons: an icon named by a var would ship a map of all of lucide's
            rx.callout.icon(
                rx.match(
                    S.chain_state,
                    ("intact", rx.icon("shield-check")),
                    ("broken", rx.icon("shield-alert")),
                    rx.icon("shield"),
                )
            ),
            rx.callout.text(S.chain),
            color_scheme=rx.match(S.chain_state, ("intact", "green"), ("broken", "red"), "gray"),
            data_testid="audit-chain",
            data_chain=S.chain_state,
            width="100%",
        ),
        rx.hstack(
            rx.text(S.chain_checked, size="1", color_scheme="gray"),
            rx.spacer(),
            rx.button(
                T("Check now"),
                on_click=check,
                loading=S.chain_checking,
                variant="soft",
                size="1",
                data_testid="audit-chain-check",
            ),
            width="100%",
            align="center",
        ),
        width="100%",
    )
