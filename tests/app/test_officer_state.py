"""The officer's scanner handlers, called as the browser (or a forger) would call them."""

from __future__ import annotations

import asyncio
import base64
import io
import time
from pathlib import Path

import pytest
import reflex as rx
from PIL import Image
from sqlmodel import select

from lbt_app.db.models import AuditEvent, Crossing
from lbt_app.services import checks
from lbt_app.states.officer import MAX_PHOTO_BYTES, SAME_SCAN_SECONDS, OfficerState
from tests.app.factories import permit_of
from tests.app.test_states import _client, _sub
from tests.e2e.camera import empty_scene, qr_scene


def _officer(username: str = "officer1") -> OfficerState:
    return _sub(_client(username), OfficerState)


def _events(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def _jpeg(image: Image.Image, quality: int = 80) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _data_url(image: Image.Image) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(_jpeg(image)).decode()


def _now_ms() -> float:
    return time.time() * 1000


def _frame(state, payload):
    return asyncio.run(OfficerState.frame.fn(state, payload, _now_ms()))


def _bomb_png() -> bytes:
    """40 megapixels in about 130 KB: decoded whole, this took 650 MB and 7 s."""
    out = io.BytesIO()
    Image.new("RGB", (6320, 6320), (250, 250, 250)).save(out, "PNG")
    return out.getvalue()


def test_a_read_repeated_within_seconds_is_one_scan(db_url, session):
    text = permit_of(session, "RAHIMOV").payload
    state = _officer()
    before = len(_events(session, "permit_checked"))
    asyncio.run(OfficerState.scanned.fn(state, text, _now_ms()))
    assert (state.outcome, state.source, state.cue) == ("VALID", "camera", 1)
    OfficerState.open_scanner.fn(state)  # the officer taps "Scan next", the card is still there
    asyncio.run(OfficerState.scanned.fn(state, text, _now_ms()))
    assert state.outcome == "" and state.scanning
    assert len(_events(session, "permit_checked")) == before + 1
    state._last_read_at -= SAME_SCAN_SECONDS  # a few seconds later it is a new scan
    asyncio.run(OfficerState.scanned.fn(state, text, _now_ms()))
    assert state.outcome == "VALID" and len(_events(session, "permit_checked")) == before + 2


def test_after_recording_the_same_permit_scans_again_at_once(db_url, session):
    text = permit_of(session, "RAHIMOV").payload
    state = _officer()
    asyncio.run(OfficerState.scanned.fn(state, text, _now_ms()))
    asyncio.run(OfficerState.record_crossing.fn(state, "entry"))
    assert state.recorded == "entry"
    OfficerState.open_scanner.fn(state)
    asyncio.run(OfficerState.scanned.fn(state, text, _now_ms()))
    assert (state.outcome, state.code) == ("CHECK", "already_inside")


def test_a_passage_a_colleague_recorded_first_is_not_offered_again(db_url, session):
    permit = permit_of(session, "RAHIMOV")
    text, before = permit.payload, _crossings(session, permit.id)
    mine, colleague = _officer(), _officer("officer1")  # two phones at one lane
    asyncio.run(OfficerState.scanned.fn(mine, text, _now_ms()))
    asyncio.run(OfficerState.scanned.fn(colleague, text, _now_ms()))
    asyncio.run(OfficerState.record_crossing.fn(colleague, "entry"))
    assert colleague.recorded == "entry"
    toast = asyncio.run(OfficerState.record_crossing.fn(mine, "entry"))
    assert "Already recorded." in str(toast)
    assert (mine.recorded, mine.can_enter, mine.can_exit) == ("", False, False)  # scan again
    assert _crossings(session, permit.id) == before + 1


def _crossings(session, permit_id: int) -> int:
    session.expire_all()
    return len(session.exec(select(Crossing).where(Crossing.permit_id == permit_id)).all())


def test_frames_are_decoded_on_the_server_and_acknowledged(db_url, session):
    state = _officer()
    OfficerState.open_scanner.fn(state)
    _frame(state, _data_url(empty_scene()))
    assert (state.frame_acks, state.outcome, state.scanning) == (1, "", True)  # keeps scanning
    text = permit_of(session, "GHAFUROVA").payload
    _frame(state, _data_url(qr_scene(text, dark=True)))
    assert (state.frame_acks, state.outcome, state.code) == (2, "INVALID", "revoked")
    assert state.source == "frame" and not state.scanning
    assert _events(session, "permit_checked")[-1].detail["source"] == "frame"


@pytest.mark.parametrize(
    "payload",
    [
        "data:image/jpeg;base64," + "A" * 500_000,  # bigger than any frame the scanner sends
        "data:image/png;base64," + base64.b64encode(_bomb_png()).decode(),
        "data:text/html;base64,PGI+",
        "not a data url",
    ],
)
def test_bad_frames_change_nothing_and_show_nothing(db_url, session, payload):
    state = _officer()
    OfficerState.open_scanner.fn(state)
    before = len(_events(session, "permit_checked"))
    assert _frame(state, payload) is None
    assert state.frame_acks == 1 and state.scanning and state.outcome == ""
    assert len(_events(session, "permit_checked")) == before


@pytest.mark.parametrize("payload", [12345, None, ["data:image/png;base64,"]])
def test_a_frame_that_is_not_text_is_not_understood(db_url, session, payload):
    state = _officer()
    OfficerState.open_scanner.fn(state)
    before = len(_events(session, "permit_checked"))
    assert "not understood" in str(asyncio.run(OfficerState.frame.fn(state, payload, _now_ms())))
    assert state.scanning and state.outcome == ""
    assert len(_events(session, "permit_checked")) == before


def _upload(data: bytes, name: str = "photo.jpg", size: int | None = None) -> rx.UploadFile:
    return rx.UploadFile(
        file=io.BytesIO(data), path=Path(name), size=len(data) if size is None else size
    )


def _photo(state, data: bytes, name: str = "photo.jpg"):
    return asyncio.run(OfficerState.upload_photo.fn(state, [_upload(data, name)]))


def test_a_photo_of_the_permit_reaches_the_verdict(db_url, session):
    state = _officer()
    text = permit_of(session, "HASANOV").payload
    assert _photo(state, _jpeg(qr_scene(text, module_px=6))) is None
    assert (state.outcome, state.code, state.source) == ("INVALID", "expired", "photo")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xd8" + b"\0" * (MAX_PHOTO_BYTES + 10), "The file is too large."),
        (b"%PDF-1.7 not a photo", "The file is not an image."),
        (b"", "The file is empty."),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "The image file is damaged."),
        (_bomb_png(), "The image is too large."),
    ],
)
def test_bad_photos_get_a_clear_message_and_change_nothing(db_url, session, data, message):
    state = _officer()
    before = len(_events(session, "permit_checked"))
    result = _photo(state, data)
    assert message in str(result)
    assert state.outcome == "" and len(_events(session, "permit_checked")) == before


def test_a_photo_without_a_code_says_so(db_url, session):
    state = _officer()
    assert "No QR code was found in the image." in str(_photo(state, _jpeg(empty_scene())))


def test_a_30_mb_upload_is_refused_before_reading(db_url):
    state = _officer()
    upload = _upload(b"\0" * 1024, size=30 * 1024 * 1024)  # as the multipart parser measured it
    result = asyncio.run(OfficerState.upload_photo.fn(state, [upload]))
    assert "The file is too large." in str(result) and upload.file.tell() == 0


def test_the_browser_refusing_a_file_is_explained(db_url):
    state = _officer()
    too_big = OfficerState.file_rejected.fn(state, "file-invalid-type,file-too-large")
    assert "The file is too large." in str(too_big)
    wrong = OfficerState.file_rejected.fn(state, "file-invalid-type")
    assert "This kind of file is not accepted here." in str(wrong)
    assert "not understood" in str(OfficerState.file_rejected.fn(state, ["x"]))


@pytest.mark.parametrize("username", [None, "farhod", "staff", "admin"])
def test_scanner_events_from_other_roles_do_nothing(db_url, session, username):
    text = permit_of(session, "RAHIMOV").payload
    state = _officer(username) if username else _sub(_client(None), OfficerState)
    checked = len(_events(session, "permit_checked"))
    crossings = len(session.exec(select(Crossing)).all())
    asyncio.run(OfficerState.scanned.fn(state, text, _now_ms()))
    _frame(state, _data_url(qr_scene(text)))
    assert _photo(state, _jpeg(qr_scene(text, module_px=6))) is not None
    state._text, state.outcome = text, "VALID"  # even with a verdict forged into its state
    asyncio.run(OfficerState.record_crossing.fn(state, "entry"))
    asyncio.run(OfficerState.refuse.fn(state, {"reason": "other"}))
    asyncio.run(OfficerState.report.fn(state, {"note": "x"}))
    asyncio.run(OfficerState.toggle_shift.fn(state))
    session.expire_all()
    assert len(_events(session, "permit_checked")) == checked
    assert len(session.exec(select(Crossing)).all()) == crossings
    assert _events(session, "crossing_refused") == _events(session, "misuse_reported") == []
    assert state.shift_counts == {}


def test_a_device_clock_off_by_more_than_five_minutes_is_pointed_out(db_url, session):
    state = _officer()
    asyncio.run(OfficerState.device_clock.fn(state, _now_ms() + 4 * 60_000))
    assert state.clock_note == ""
    asyncio.run(OfficerState.device_clock.fn(state, _now_ms() - 62 * 60_000))
    assert "62 minutes" in state.clock_note
    text = permit_of(session, "RAHIMOV").payload
    asyncio.run(
        OfficerState.scanned.fn(state, text, _now_ms() + 11 * 60_000)
    )  # the verdict still comes
    assert "11 minutes" in state.clock_note and state.outcome == "VALID"
    asyncio.run(OfficerState.device_clock.fn(state, "soon"))
    assert "11 minutes" in state.clock_note


def test_refuse_and_report_after_a_verdict_then_the_shift_counts_them(db_url, session):
    state = _officer()
    assert "Scan a permit first." in str(
        asyncio.run(OfficerState.refuse.fn(state, {"reason": "other"}))
    )
    asyncio.run(OfficerState.scanned.fn(state, permit_of(session, "GHAFUROVA").payload, _now_ms()))
    asyncio.run(OfficerState.refuse.fn(state, {"reason": "because"}))
    assert state.panel_error == "Choose a reason from the list." and state.recorded == ""
    OfficerState.open_panel.fn(state, "refuse")
    assert (state.panel, state.panel_error) == ("refuse", "")
    asyncio.run(OfficerState.refuse.fn(state, {"reason": "suspected_forgery"}))
    assert (state.recorded, state.panel) == ("refused", "")
    asyncio.run(
        OfficerState.record_crossing.fn(state, "exit")
    )  # already decided: nothing more recorded
    asyncio.run(OfficerState.report.fn(state, {"note": "   "}))
    assert (state.panel_error, state.reported) == ("Describe what you noticed.", False)
    asyncio.run(OfficerState.report.fn(state, {"note": "Card shown by someone else"}))
    assert state.reported and state.panel_error == ""
    refused = _events(session, "crossing_refused")
    assert [e.detail["reason"] for e in refused] == ["suspected_forgery"]
    assert _events(session, "misuse_reported")[-1].detail["note"] == "Card shown by someone else"
    asyncio.run(OfficerState.toggle_shift.fn(state))
    assert state.shift_open
    assert (state.shift_counts["scans"], state.shift_counts["INVALID"]) == (1, 1)
    assert (state.shift_counts["refused"], state.shift_counts["reported"]) == (1, 1)
    assert state.shift_counts["exit"] == 0
    assert [i["action_label"] for i in state.shift_items] == [
        "Misuse reported",
        "Refused",
        "Checked",
    ]


def test_no_entry_on_a_static_copy_but_on_a_fresh_live_code(db_url, session):
    from lbt_app.core import live
    from lbt_app.db.types import utcnow
    from lbt_app.services import wallet
    from lbt_app.settings import get_settings
    from tests.app.factories import principal

    secret = wallet.activate(
        session=session,
        principal=principal(session, "farhod"),
        kek=get_settings().key_encryption_key(),
        now=utcnow(),
    )
    session.commit()
    card = permit_of(session, "RAHIMOV").payload
    state = _officer()
    asyncio.run(
        OfficerState.scanned.fn(state, card, _now_ms())
    )  # the printed card of a wallet holder
    assert (state.outcome, state.code) == ("CHECK", "static_copy")
    before = len(session.exec(select(Crossing)).all())
    assert "cannot be recorded" in str(asyncio.run(OfficerState.record_crossing.fn(state, "entry")))
    asyncio.run(OfficerState.scanned.fn(state, live.live_text(card, secret, utcnow()), _now_ms()))
    assert (state.outcome, state.code) == ("VALID", "valid")
    asyncio.run(OfficerState.record_crossing.fn(state, "entry"))
    session.expire_all()
    assert len(session.exec(select(Crossing)).all()) == before + 1


def _typed(state, number: str):
    return asyncio.run(OfficerState.check_number.fn(state, {"number": number}))


def test_an_unknown_typed_number_is_not_registered_and_names_the_number(db_url, session):
    state = _officer()
    _typed(state, "uz26-999999")
    assert (state.outcome, state.code, state.tone) == ("INVALID", "not_registered", "INVALID")
    assert state.reason == "No permit with this number is registered."
    assert state.typed_number == "UZ26-999999" and state.holder == {}
    assert (state.can_enter, state.can_exit) == (False, False)
    assert _events(session, "permit_checked")[-1].subject == "UZ26-999999"
    _typed(state, permit_of(session, "RAHIMOV").number)  # a registered one names its holder
    assert state.typed_number == "" and state.holder["number"]


def test_an_empty_typed_number_is_explained_and_checks_nothing(db_url, session):
    state = _officer()
    before = len(_events(session, "permit_checked"))
    assert "Type the permit number." in str(_typed(state, "   "))
    assert state.outcome == "" and len(_events(session, "permit_checked")) == before


def test_only_the_passage_the_server_would_record_is_offered(db_url, session):
    state = _officer()
    asyncio.run(
        OfficerState.scanned.fn(state, permit_of(session, "GHAFUROVA").payload, _now_ms())
    )  # revoked
    assert (state.outcome, state.can_enter, state.can_exit) == ("INVALID", False, False)
    OfficerState.set_lane.fn(state, "exit")
    asyncio.run(
        OfficerState.scanned.fn(state, permit_of(session, "RAHIMOV").payload, _now_ms())
    )  # outside
    assert (state.code, state.can_enter, state.can_exit) == ("not_inside", True, False)
    asyncio.run(OfficerState.record_crossing.fn(state, "entry"))
    assert (state.recorded, state.can_enter, state.can_exit) == ("entry", False, False)
    OfficerState.set_lane.fn(state, "entry")
    asyncio.run(
        OfficerState.scanned.fn(state, permit_of(session, "NAZAROVA").payload, _now_ms())
    )  # inside
    assert (state.code, state.can_enter, state.can_exit) == ("already_inside", False, True)


def test_after_a_refusal_the_screen_says_refused_with_the_reason(db_url, session):
    state = _officer()
    asyncio.run(OfficerState.scanned.fn(state, permit_of(session, "RAHIMOV").payload, _now_ms()))
    assert (state.tone, state.outcome_label, state.can_enter) == ("VALID", "VALID", True)
    OfficerState.open_panel.fn(state, "refuse")
    asyncio.run(OfficerState.refuse.fn(state, {"reason": "no_identity_document"}))
    assert (state.tone, state.outcome_label) == ("REFUSED", "REFUSED")
    assert state.reason == "No identity document"
    assert (state.recorded, state.panel, state.can_enter, state.can_exit) == (
        "refused",
        "",
        False,
        False,
    )
    assert state.outcome == "VALID"  # what the permit was worth stays in the record
    OfficerState.open_scanner.fn(state)  # "Scan next" starts afresh
    assert (state.tone, state.scanning) == ("", True)


@pytest.mark.parametrize("form", [{}, {"reason": ""}])
def test_a_refusal_without_a_reason_asks_for_one_and_records_nothing(db_url, session, form):
    state = _officer()
    asyncio.run(OfficerState.scanned.fn(state, permit_of(session, "RAHIMOV").payload, _now_ms()))
    OfficerState.open_panel.fn(state, "refuse")
    asyncio.run(OfficerState.refuse.fn(state, form))
    assert state.panel_error == "Choose a reason from the list."
    assert (state.tone, state.recorded, state.panel, state.can_enter) == (
        "VALID",
        "",
        "refuse",
        True,
    )
    assert _events(session, "crossing_refused") == []


def test_the_verdict_names_the_area_and_crossing_points(db_url, session):
    state = _officer()
    asyncio.run(OfficerState.scanned.fn(state, permit_of(session, "RAHIMOV").payload, _now_ms()))
    assert state.holder["area"] == "Fergana border districts"
    assert state.holder["points"] == "Fotehobod – Oybek, Kushtegirmon – Bekobod, Patar – Rishton"
    assert [c["point"] for c in state.recent] == ["Fotehobod – Oybek"] * len(state.recent)


def test_a_photo_with_two_codes_uses_the_permit_and_says_so(db_url, session):
    from tests.core.test_imaging import two_codes

    state = _officer()
    text = permit_of(session, "RAHIMOV").payload
    before = len(_events(session, "permit_checked"))
    _photo(state, _jpeg(two_codes("https://example.org/menu", text), quality=90))
    assert (state.outcome, state.code, state.source) == ("VALID", "valid", "photo")
    assert state.note == "Several codes in the picture; the permit was used."
    checked = _events(session, "permit_checked")
    assert len(checked) == before + 1  # the other code is not audited
    assert checked[-1].subject == permit_of(session, "RAHIMOV").number
    _typed(state, permit_of(session, "RAHIMOV").number)
    assert state.note == ""  # the note belongs to that picture only
    _photo(state, _jpeg(two_codes("https://example.org/menu", "WIFI:S:border;;"), quality=90))
    assert (state.outcome, state.code) == ("INVALID", "malformed")
    assert state.note == "Several codes in the picture; none is a permit."


def test_a_frame_with_two_codes_uses_the_permit(db_url, session):
    from tests.core.test_imaging import two_codes

    state = _officer()
    OfficerState.open_scanner.fn(state)
    text = permit_of(session, "GHAFUROVA").payload
    _frame(state, _data_url(two_codes(text[:40], text).convert("RGB")))
    assert (state.outcome, state.code, state.source) == ("INVALID", "revoked", "frame")
    assert state.note == "Several codes in the picture; the permit was used."


def test_a_check_waiting_on_the_database_leaves_the_event_loop_to_the_other_tabs(
    db_url, session, monkeypatch
):
    """The worker's event loop serves every tab: while one check waits on the database, the
    others' events go on (the check runs in a thread)."""
    state = _officer()
    number = permit_of(session, "RAHIMOV").number
    slow = checks.verify_number

    def verify_slowly(**arguments):
        time.sleep(0.5)  # a slow query: the thread waits, the loop does not
        return slow(**arguments)

    monkeypatch.setattr(checks, "verify_number", verify_slowly)

    async def meanwhile() -> tuple[int, object]:
        ticks = 0

        async def other_tab() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.02)
                ticks += 1

        ticker = asyncio.create_task(other_tab())
        result = await OfficerState.check_number.fn(state, {"number": number})
        ticker.cancel()
        return ticks, result

    ticks, result = asyncio.run(meanwhile())
    assert result is None and state.outcome == "VALID"
    assert ticks >= 10  # ~25 in 0.5 s; none if the check had held the loop
