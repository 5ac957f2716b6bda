"""Pictures (holder photos, image proofs of residence) as cached addresses instead of data
inside the page state.

A state that has shown a photo to a caller it checked mints the address (`photo_url`); the
endpoint (endpoints.py) answers it with `photo_for`, which needs no session: the address is the
permission (core/photo_link.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from lbt_app import routes
from lbt_app.core import photo_link
from lbt_app.db.models import Document
from lbt_app.settings import get_settings

# What an address may open: pictures only, never a PDF proof (that one opens as a download).
PICTURE_TYPES = ("image/jpeg", "image/png")


def _key() -> bytes:
    return photo_link.link_key(get_settings().key_encryption_key())


def photo_url(photo: bytes | None, now: datetime) -> str:
    """The address of this picture for the next hour or two ("" without one)."""
    return routes.photo(photo_link.mint(_key(), photo, now.timestamp())) if photo else ""


def photo_for(
    *, session: Session, token: str, now: datetime
) -> tuple[Document, photo_link.PhotoLink] | None:
    """The picture a token opens, or None (malformed, forged, expired, no such picture)."""
    link = photo_link.read(_key(), token, now.timestamp())
    if link is None:
        return None
    found = session.exec(
        select(Document).where(
            Document.sha256 == link.digest, Document.content_type.in_(PICTURE_TYPES)
        )
    ).first()
    return (found, link) if found is not None else None
