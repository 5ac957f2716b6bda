"""Helpers to reach demo records and principals in service tests."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from lbt_app.core.access import Principal, Role
from lbt_app.db.models import Agreement, CrossingPoint, Permit, Resident, User
from lbt_app.services import checks
from lbt_app.services.auth import principal_of


def principal(session: Session, username: str) -> Principal:
    user = session.exec(select(User).where(User.username == username)).one()
    return principal_of(session=session, user=user)


def checked(session: Session, officer: Principal, text: str, now: datetime) -> int:
    """The id of `officer`'s check of `text` at `now`: what a crossing is recorded from."""
    return checks.verify_scan(session=session, principal=officer, text=text, now=now).check_id


def permit_of(session: Session, surname_latin: str) -> Permit:
    return session.exec(
        select(Permit)
        .join(Resident, col(Resident.id) == Permit.resident_id)
        .where(Resident.surname_latin == surname_latin)
        .order_by(Permit.id)
    ).first()


def stranger_officer(session: Session, password_hash: str = "!") -> User:
    """An officer at a crossing point of a second agreement (Kyrgyzstan–Tajikistan)."""
    agreement = Agreement(
        code="KG-TJ",
        name="Kyrgyzstan–Tajikistan local border traffic",
        country_a="KGZ",
        country_b="TJK",
        timezone="Asia/Bishkek",
        max_stay_days=30,
        max_validity_years=5,
    )
    session.add(agreement)
    session.flush()
    point = CrossingPoint(code="KAIRAGACH", name="Kairagach", agreement_id=agreement.id or 0)
    session.add(point)
    session.flush()
    officer = User(
        username="stranger",
        password_hash=password_hash,
        full_name="Officer of another agreement",
        role=Role.OFFICER,
        crossing_point_id=point.id,
    )
    session.add(officer)
    session.flush()
    return officer


def portrait_jpeg() -> bytes:
    import io

    from PIL import Image

    photo = io.BytesIO()
    Image.new("RGB", (300, 400), (180, 160, 150)).save(photo, "JPEG")
    return photo.getvalue()


def online_record(document_number: str) -> dict[str, str]:
    """What a resident types into the wallet's application form."""
    return {
        "surname_native": "Саидова",
        "given_names_native": "Нилуфар",
        "birth_date": "1985-05-05",
        "sex": "F",
        "nationality": "TJK",
        "document_number": document_number,
        "address": "Ғафуров",
        "border_area": "TJ-SGD",
        "residence_since": "2001-01-01",
    }
