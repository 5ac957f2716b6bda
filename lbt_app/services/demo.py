"""Demo data: one Tajikistan–Uzbekistan agreement with every role usable on first start.

Dates are relative to the day of loading, so the permits' states hold on any day.
"""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from PIL import Image, ImageDraw
from sqlmodel import Session, func, select

from lbt_app.core.access import Role
from lbt_app.db.models import (
    Agreement,
    Application,
    AuditEvent,
    Authority,
    BorderArea,
    Crossing,
    CrossingPoint,
    CrossingPointArea,
    Document,
    Permit,
    PermitStatus,
    Resident,
    User,
)
from lbt_app.services import audit, keys
from lbt_app.services.auth import hash_password
from lbt_app.services.issuing import IssueRequest, issue_permit
from lbt_app.services.stays import rebuild_open_stays

AGREEMENT_CODE = "TJ-UZ"
LOADED = "demo_loaded"  # the audit action `load` ends with


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: Role
    note: str


LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("staff", "staff-demo-2026", Role.AUTHORITY, "Sughd LBT office"),
    DemoLogin("officer1", "officer1-demo-2026", Role.OFFICER, "at Fotehobod"),
    DemoLogin("officer2", "officer2-demo-2026", Role.OFFICER, "at Patar"),
    DemoLogin("admin", "admin-demo-2026", Role.ADMIN, "administrator"),
    DemoLogin("farhod", "farhod-demo-2026", Role.RESIDENT, "active permit, outside"),
    DemoLogin("gulnora", "gulnora-demo-2026", Role.RESIDENT, "active permit, inside now"),
    DemoLogin("davlat", "davlat-demo-2026", Role.RESIDENT, "application pending"),
)


@dataclass(frozen=True)
class DemoResident:
    surname_native: str
    given_native: str
    surname_latin: str
    given_latin: str
    sex: str
    birth: date
    document: str
    address: str
    permit: str  # active, suspended, revoked, expired, pending
    points: tuple[str, ...] = ("FOTEHOBOD", "KUSHTEGIRMON", "PATAR")
    login: str = ""


RESIDENTS: tuple[DemoResident, ...] = (
    DemoResident(
        "Раҳимов",
        "Фарҳод",
        "RAHIMOV",
        "FARHOD",
        "M",
        date(1978, 3, 14),
        "A4810275",
        "Хуҷанд, кӯчаи Сомонӣ 12",
        "active",
        login="farhod",
    ),
    DemoResident(
        "Назарова",
        "Гулнора",
        "NAZAROVA",
        "GULNORA",
        "F",
        date(1985, 11, 2),
        "A5521830",
        "Спитамен, деҳаи Нов 7",
        "active",
        login="gulnora",
    ),
    DemoResident(
        "Қодиров",
        "Ҷамшед",
        "QODIROV",
        "JAMSHED",
        "M",
        date(1969, 6, 30),
        "A3398412",
        "Конибодом, кӯчаи Ленин 45",
        "suspended",
    ),
    DemoResident(
        "Ғафурова",
        "Ширин",
        "GHAFUROVA",
        "SHIRIN",
        "F",
        date(1991, 1, 19),
        "A6612094",
        "Ғафуров, кӯчаи Айнӣ 3",
        "revoked",
    ),
    DemoResident(
        "Ҳасанов",
        "Бахтиёр",
        "HASANOV",
        "BAKHTIYOR",
        "M",
        date(1956, 9, 8),
        "A1187365",
        "Исфара, деҳаи Чоркӯҳ 19",
        "expired",
    ),
    DemoResident(
        "Юсупова",
        "Малика",
        "YUSUPOVA",
        "MALIKA",
        "F",
        date(1999, 4, 25),
        "A7740551",
        "Хуҷанд, кӯчаи Ленинобод 88",
        "active",
    ),
    DemoResident(
        "Каримова",
        "Зарина",
        "KARIMOVA",
        "ZARINA",
        "F",
        date(1973, 12, 5),
        "A2905316",
        "Конибодом, деҳаи Пахтакор 2",
        "active",
        points=("FOTEHOBOD",),
    ),
    DemoResident(
        "Абдураҳмонзода",
        "Маҳбубахон Ҷӯраевна",
        "ABDURAHMONZODA",
        "MAHBUBAKHON",
        "F",
        date(1964, 8, 17),
        "A0457718",
        "Исфара, кӯчаи Исмоили Сомонӣ 101",
        "active",
    ),
    DemoResident(
        "Шарипов",
        "Давлат",
        "SHARIPOV",
        "DAVLAT",
        "M",
        date(1988, 2, 11),
        "A8093427",
        "Спитамен, деҳаи Ӯротеппа 14",
        "pending",
        login="davlat",
    ),
)


def portrait(seed: str, size: tuple[int, int] = (240, 300)) -> bytes:
    """A generated passport-style portrait (JPEG): no real person's face."""
    rng = random.Random(hashlib.sha256(seed.encode()).digest())  # noqa: S311  (looks, not secrets)
    w, h = size
    img = Image.new("RGB", size, (226, 232, 240))
    draw = ImageDraw.Draw(img)
    skin = rng.choice([(224, 184, 150), (205, 160, 120), (186, 140, 104), (240, 205, 175)])
    hair = rng.choice([(30, 24, 20), (60, 40, 30), (90, 90, 90), (20, 20, 20)])
    shirt = rng.choice([(40, 70, 120), (120, 40, 50), (50, 100, 70), (80, 80, 90)])
    draw.ellipse((w * 0.12, h * 0.68, w * 0.88, h * 1.25), fill=shirt)
    draw.rectangle((w * 0.42, h * 0.55, w * 0.58, h * 0.72), fill=skin)
    draw.ellipse((w * 0.28, h * 0.12, w * 0.72, h * 0.62), fill=hair)
    draw.ellipse((w * 0.3, h * 0.2, w * 0.7, h * 0.64), fill=skin)
    eye_y = h * (0.38 + rng.uniform(-0.02, 0.02))
    for ex in (0.41, 0.59):
        draw.ellipse((w * ex - 6, eye_y - 4, w * ex + 6, eye_y + 4), fill=(255, 255, 255))
        draw.ellipse((w * ex - 3, eye_y - 3, w * ex + 3, eye_y + 3), fill=(40, 30, 20))
    draw.arc((w * 0.42, h * 0.47, w * 0.58, h * 0.56), 20, 160, fill=(150, 70, 70), width=3)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def _proof_of_residence(resident: DemoResident) -> bytes:
    img = Image.new("RGB", (600, 400), (252, 250, 240))
    draw = ImageDraw.Draw(img)
    draw.rectangle((10, 10, 590, 390), outline=(60, 60, 60), width=3)
    draw.text((30, 30), "CERTIFICATE OF RESIDENCE", fill=(0, 0, 0))
    draw.text((30, 70), f"{resident.surname_latin} {resident.given_latin}", fill=(0, 0, 0))
    draw.text((30, 100), f"Document {resident.document}", fill=(0, 0, 0))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


def _document(session: Session, kind: str, data: bytes, now: datetime) -> Document:
    doc = Document(
        kind=kind,
        content_type="image/jpeg",
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        created_at=now,
    )
    session.add(doc)
    session.flush()
    return doc


def is_loaded(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Agreement)).one() > 0


def is_present(session: Session) -> bool:
    """Whether the demo (its agreement, with the logins whose passwords are published) is in
    this database — not merely some agreement, as in any real installation."""
    loaded = select(AuditEvent.id).where(
        AuditEvent.action == LOADED, AuditEvent.subject == AGREEMENT_CODE
    )
    found = select(Agreement.id).where(Agreement.code == AGREEMENT_CODE, loaded.exists())
    return session.exec(found).first() is not None


def load(*, session: Session, kek: bytes, now: datetime) -> None:
    """Create the demo records in the caller's transaction."""
    today = now.date()
    agreement = Agreement(
        code=AGREEMENT_CODE,
        name="Tajikistan–Uzbekistan local border traffic",
        country_a="TJK",
        country_b="UZB",
        timezone="Asia/Dushanbe",
        max_stay_days=30,
        max_validity_years=5,
        min_residence_years=1,
        created_at=now,
    )
    session.add(agreement)
    session.flush()
    aid = agreement.id or 0
    tj_area = BorderArea(
        code="TJ-SGD",
        name="Sughd border districts",
        name_native="Ноҳияҳои сарҳадии Суғд",
        country="TJK",
        agreement_id=aid,
        depth_km=30,
        districts=["Khujand", "Spitamen", "Konibodom", "Isfara", "Ghafurov"],
    )
    uz_area = BorderArea(
        code="UZ-FRG",
        name="Fergana border districts",
        name_native="Farg'ona chegara tumanlari",
        country="UZB",
        agreement_id=aid,
        depth_km=30,
        districts=["Beshariq", "Rishton", "Bagdod", "Oltiariq", "Bekobod"],
    )
    session.add_all([tj_area, uz_area])
    points = {
        code: CrossingPoint(code=code, name=name, agreement_id=aid)
        for code, name in [
            ("FOTEHOBOD", "Fotehobod – Oybek"),
            ("KUSHTEGIRMON", "Kushtegirmon – Bekobod"),
            ("PATAR", "Patar – Rishton"),
        ]
    }
    session.add_all(points.values())
    session.flush()
    session.add_all(
        CrossingPointArea(crossing_point_id=point.id or 0, border_area_id=area.id or 0)
        for point in points.values()
        for area in (tj_area, uz_area)
    )
    authority = Authority(
        code="TJ-SGD-LBT",
        name="Sughd Region Local Border Traffic Office",
        name_native="Идораи ҳаракати маҳаллии сарҳадии вилояти Суғд",
        country="TJK",
        agreement_id=aid,
        kind="issuing",
    )
    border = Authority(
        code="UZ-FRG-BS",
        name="Fergana Border Service",
        country="UZB",
        agreement_id=aid,
        kind="border",
    )
    session.add_all([authority, border])
    session.flush()
    keys.create_key(session=session, authority=authority, kek=kek, now=now)

    by_login = {login.username: login for login in LOGINS}

    def user(username: str, full_name: str, **scope) -> User:
        login = by_login[username]
        row = User(
            username=username,
            password_hash=hash_password(login.password),
            full_name=full_name,
            role=login.role,
            created_at=now,
            **scope,
        )
        session.add(row)
        return row

    staff = user("staff", "Dilnoza Saidova", authority_id=authority.id)
    user("officer1", "Rustam Aliev", crossing_point_id=points["FOTEHOBOD"].id)
    user("officer2", "Sherzod Tursunov", crossing_point_id=points["PATAR"].id)
    user("admin", "System Administrator")
    session.flush()

    for i, r in enumerate(RESIDENTS):
        photo = _document(session, "photo", portrait(r.document), now)
        resident = Resident(
            authority_id=authority.id or 0,
            border_area_id=tj_area.id or 0,
            surname_native=r.surname_native,
            given_names_native=r.given_native,
            surname_latin=r.surname_latin,
            given_names_latin=r.given_latin,
            birth_date=r.birth,
            sex=r.sex,
            nationality="TJK",
            document_number=r.document,
            address=r.address,
            residence_since=date(r.birth.year + 18, 1, 1),
            photo_id=photo.id,
            created_at=now,
        )
        session.add(resident)
        session.flush()
        if r.login:
            login_name = f"{r.given_latin.title()} {r.surname_latin.title()}"
            user(r.login, login_name, resident_id=resident.id)
        proof = _document(session, "proof_of_residence", _proof_of_residence(r), now)
        submitted = now - timedelta(days=2 if r.permit == "pending" else 400 + i)
        application = Application(
            resident_id=resident.id or 0,
            authority_id=authority.id or 0,
            proof_id=proof.id,
            submitted_at=submitted,
        )
        session.add(application)
        session.flush()
        if r.permit == "pending":
            continue
        start = (
            today - timedelta(days=365 * 4 + 30)
            if r.permit == "expired"
            else (today - timedelta(days=90 + i))
        )
        until = (
            start + timedelta(days=365 * 4)
            if r.permit == "expired"
            else (start + timedelta(days=365 * 2))
        )
        permit = issue_permit(
            session=session,
            authority=authority,
            kek=kek,
            now=now,
            request=IssueRequest(
                resident_id=resident.id or 0,
                border_area_code=uz_area.code,
                crossing_point_codes=r.points,
                valid_from=start,
                valid_until=until,
                application_id=application.id,
            ),
        )
        application.decided_at, application.decided_by_id = submitted, staff.id
        session.add(application)
        if r.permit in {"suspended", "revoked"}:
            permit.status = PermitStatus(r.permit)
            permit.status_reason = (
                "Misuse reported at the crossing point"
                if r.permit == "suspended"
                else "Residence ended"
            )
            session.add(permit)
        _history(session, permit, r, points, now)
    session.flush()
    rebuild_open_stays(session, now)  # the history above was written around the officer's check
    audit.record(
        session=session, action=LOADED, now=now, actor_name="system", subject=AGREEMENT_CODE
    )


def _history(
    session: Session,
    permit: Permit,
    r: DemoResident,
    points: dict[str, CrossingPoint],
    now: datetime,
) -> None:
    """Past crossings: farhod went and came back; gulnora is inside now."""
    trips = {"farhod": [(10, "entry"), (8, "exit")], "gulnora": [(3, "entry")]}.get(r.login, [])
    point = points[r.points[0]]
    for days_ago, direction in trips:
        session.add(
            Crossing(
                permit_id=permit.id or 0,
                crossing_point_id=point.id or 0,
                direction=direction,
                at=now - timedelta(days=days_ago, hours=2),
                verdict="VALID",
                code="valid",
            )
        )
