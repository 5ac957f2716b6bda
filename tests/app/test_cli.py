"""The `lbt` command on the demo data."""

from __future__ import annotations

import json
import os

import sqlalchemy as sa
from sqlmodel import select

from lbt_app import cli
from lbt_app.cli import main
from lbt_app.core.verify import TrustList
from lbt_app.db.models import AuditCheckpoint, AuditEvent
from lbt_app.services.demo import portrait
from tests.app.factories import permit_of


def _lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().out.splitlines() if line]


def test_permits_lists_every_state_and_filters(db_url, capsys):
    assert main(["permits", "--json"]) == 0
    rows = [json.loads(line) for line in _lines(capsys)]
    assert {r["status"] for r in rows} == {"active", "suspended", "revoked", "expired"}
    assert all(r["qr_version"] <= 9 for r in rows)
    assert main(["permits", "--status", "revoked"]) == 0
    assert len(_lines(capsys)) == 1


def test_qr_writes_png_and_svg_that_verify_like_the_text(db_url, session, tmp_path, capsys):
    permit = permit_of(session, "RAHIMOV")
    assert main(["qr", permit.number, "--text"]) == 0
    assert _lines(capsys) == [permit.payload]
    png, svg = tmp_path / "p.png", tmp_path / "p.svg"
    assert main(["qr", permit.number, "-o", str(png)]) == 0
    assert main(["qr", permit.number, "-o", str(svg)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "<svg" in svg.read_text()
    capsys.readouterr()
    assert main(["verify", "--json", "--at", "FOTEHOBOD", str(png), permit.payload]) == 0
    rows = [json.loads(line) for line in _lines(capsys)]
    assert [r["verdict"] for r in rows] == ["VALID", "VALID"]
    assert rows[0]["permit"]["number"] == permit.number
    assert set(rows[0]) == {"verdict", "code", "reasons", "permit"}


def test_verify_exits_nonzero_unless_all_valid(db_url, session, tmp_path, capsys):
    photo = tmp_path / "face.jpg"
    photo.write_bytes(portrait("no qr here"))
    karimova = permit_of(session, "KARIMOVA").payload
    assert (
        main(
            [
                "verify",
                "--json",
                "--at",
                "PATAR",
                karimova,
                "LBT1:ABC",
                str(photo),
                permit_of(session, "GHAFUROVA").payload,
            ]
        )
        == 1
    )
    rows = [json.loads(line) for line in _lines(capsys)]
    assert [r["code"] for r in rows] == [
        "crossing_point_not_allowed",
        "malformed",
        "malformed",
        "revoked",
    ]
    assert "No QR code was found in the image." in rows[2]["reasons"]
    assert rows[1]["permit"] is None


MALFORMED_TEXT = "The code is not a readable border traffic permit."


def test_verify_gives_every_item_its_own_verdict_whatever_it_is(db_url, session, tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # opening it to read would wait for a writer forever
    items = [
        "x" * 300 + "/qr.png",  # more than 255 bytes before a "/": "File name too long"
        "LBT2:" + "A" * 10_240,  # a 10 KB text
        "/dev/zero",  # a device: endless bytes
        str(fifo),
        "",
        permit_of(session, "RAHIMOV").payload,  # the run goes on to the last item
    ]
    assert main(["verify", "--json", *items]) == 1
    rows = [json.loads(line) for line in _lines(capsys)]
    assert [r["code"] for r in rows] == ["malformed"] * 5 + ["valid"]
    assert all(r["reasons"] == [MALFORMED_TEXT] for r in rows[:5])
    assert main(["verify", *items]) == 1  # the text output: one line per item as well
    assert len(_lines(capsys)) == len(items)


def test_verify_reads_only_what_is_still_a_regular_file_once_open(db_url, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_regular_file", lambda item: True)  # as if swapped after the stat
    assert main(["verify", "--json", "/dev/zero"]) == 1
    (row,) = [json.loads(line) for line in _lines(capsys)]
    assert row["reasons"] == [MALFORMED_TEXT]  # checked as a text, never read


def test_verify_says_when_an_image_file_cannot_be_read(db_url, tmp_path, monkeypatch, capsys):
    photo = tmp_path / "qr.png"
    photo.write_bytes(b"\x89PNG")

    def refuse(*_args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cli.os, "open", refuse)  # tests run as root here: chmod would not do
    assert main(["verify", "--json", str(photo)]) == 1
    (row,) = [json.loads(line) for line in _lines(capsys)]
    assert row["code"] == "malformed" and cli.FILE_UNREADABLE in row["reasons"]


def test_keys_rotate_and_revoke_show_in_the_trust_list(db_url, session, capsys):
    old_kid = permit_of(session, "RAHIMOV").kid
    assert main(["keys", "rotate", "TJ-SGD-LBT"]) == 0
    assert main(["keys", "revoke", old_kid]) == 0
    capsys.readouterr()
    assert main(["trust-list", "--json"]) == 0
    trust = TrustList.from_json(capsys.readouterr().out)
    assert trust[old_kid].status == "revoked"
    assert sorted(k.status for k in trust.values()) == ["active", "revoked"]
    assert main(["verify", permit_of(session, "RAHIMOV").payload]) == 1
    assert "key_revoked" in capsys.readouterr().out
    assert main(["keys", "rotate", "NO-SUCH"]) == 2


def test_audit_verify_names_the_first_broken_link(db_url, session, capsys):
    assert main(["audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
    target = session.exec(select(AuditEvent).order_by(AuditEvent.seq).offset(4)).first()
    session.execute(
        sa.update(AuditEvent).where(AuditEvent.id == target.id).values(detail={"forged": True})
    )
    session.commit()
    assert main(["audit", "verify", "--full"]) == 1
    assert f"BROKEN at event {target.seq}" in capsys.readouterr().out


def test_audit_checkpoint_signs_the_head_only_of_an_intact_chain(db_url, session, capsys):
    assert main(["audit", "checkpoint"]) == 0
    out = capsys.readouterr().out
    signed = session.exec(select(AuditCheckpoint)).one()
    assert f"checkpoint: event {signed.seq}" in out and signed.signature in out
    assert main(["audit", "verify", "--incremental"]) == 0
    assert "2 read" in capsys.readouterr().out  # the signed head and the check's own event
    signed = session.exec(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc())).first()
    session.execute(
        sa.update(AuditEvent).where(AuditEvent.seq == signed.seq).values(subject="rewritten")
    )
    session.commit()
    assert main(["audit", "checkpoint"]) == 1
    assert f"BROKEN at event {signed.seq}" in capsys.readouterr().out
    session.expire_all()
    assert len(session.exec(select(AuditCheckpoint)).all()) == 2  # nothing new was signed
