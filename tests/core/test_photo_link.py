"""Photo addresses as capabilities: only the app's key makes one, it opens one photo, and only
until it expires."""

from __future__ import annotations

import hashlib

from lbt_app.core import photo_link

KEY = photo_link.link_key(b"k" * 32)
PHOTO = b"\xff\xd8 a portrait"
NOW = 1_800_000_000.0


def test_an_address_opens_its_photo_until_it_expires():
    token = photo_link.mint(KEY, PHOTO, NOW)
    link = photo_link.read(KEY, token, NOW)
    assert link is not None and link.digest == hashlib.sha256(PHOTO).hexdigest()
    assert NOW + 3600 <= link.expires <= NOW + 7200
    assert photo_link.read(KEY, token, link.expires - 1) == link
    assert photo_link.read(KEY, token, link.expires) is None


def test_the_same_photo_keeps_its_address_within_the_hour_so_the_browser_cache_serves_it():
    start = NOW - NOW % photo_link.STEP_SECONDS
    assert photo_link.mint(KEY, PHOTO, start) == photo_link.mint(KEY, PHOTO, start + 3599)
    assert photo_link.mint(KEY, PHOTO, start) != photo_link.mint(KEY, PHOTO, start + 3600)


def test_forged_altered_or_foreign_addresses_open_nothing():
    token = photo_link.mint(KEY, PHOTO, NOW)
    digest, expires, tag = token.split(".")
    other = hashlib.sha256(b"someone else").hexdigest()
    later = str(int(expires) + 86_400)
    flipped = ("A" if tag[0] != "A" else "B") + tag[1:]
    for forged in [
        f"{other}.{expires}.{tag}",  # another photo under this tag
        f"{digest}.{later}.{tag}",  # a longer life
        f"{digest}.{expires}.{flipped}",
        photo_link.mint(photo_link.link_key(b"x" * 32), PHOTO, NOW),  # another key
        digest,
        "",
        "../../etc/passwd",
        f"{digest}.{expires}.{tag}.x",
    ]:
        assert photo_link.read(KEY, forged, NOW) is None, forged
