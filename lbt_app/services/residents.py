"""The residents registry: records checked field by field, photos, search, bulk CSV import.

Every function acts for authority staff on their own agreement's residents only; another
agreement's resident is answered like a missing one. Field errors are message ids keyed by
field name, so a form or an import report can show each next to its field or row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from lbt_app.core import imaging
from lbt_app.core.access import AccessDenied, Action, Principal, require
from lbt_app.core.translit import is_mrz_safe, latin
from lbt_app.db.models import (
    SEARCH_TABLE,
    Application,
    Authority,
    BorderArea,
    Crossing,
    CrossingPoint,
    Document,
    Permit,
    Resident,
)
from lbt_app.i18n import N_
from lbt_app.services import audit, listing


class ResidentError(ValueError):
    """A request about a resident that cannot be done; the message is a message id."""


# The columns of a registry record, in form and CSV order.
FIELDS = (
    "surname_native",
    "given_names_native",
    "surname_latin",
    "given_names_latin",
    "birth_date",
    "sex",
    "nationality",
    "document_number",
    "address",
    "border_area",
    "residence_since",
)
# What a form shows beside each field, and an import report beside each line.
FIELD_LABEL = {
    "surname_native": N_("Surname (native script)"),
    "given_names_native": N_("Given names (native script)"),
    "surname_latin": N_("Surname (Latin, ICAO)"),
    "given_names_latin": N_("Given names (Latin, ICAO)"),
    "birth_date": N_("Date of birth"),
    "sex": N_("Sex"),
    "nationality": N_("Nationality (e.g. TJK)"),
    "document_number": N_("Document number"),
    "address": N_("Address"),
    "border_area": N_("Border area"),
    "residence_since": N_("Resident since"),
}
SEX_LABEL = {"F": N_("Female"), "M": N_("Male"), "X": N_("Unspecified")}
DOCUMENT_LABEL = {"photo": N_("Photo"), "proof_of_residence": N_("Proof of residence")}
REQUIRED = N_("Required.")
# A form's date field shows the date the browser's way; a CSV file writes it as ISO.
BAD_DATE = N_("Enter a valid date.")
CSV_BAD_DATE = N_("A date as YYYY-MM-DD.")
BAD_LATIN = N_("Latin letters A–Z, spaces and hyphens only.")
TOO_LONG = N_("Too long.")
BAD_SEX = N_("M, F or X.")
BAD_NATIONALITY = N_("A three-letter country code, e.g. TJK.")
BAD_DOCUMENT = N_("5 to 24 letters and digits.")
DOCUMENT_TAKEN = N_("This document number is already registered.")
DOCUMENT_TWICE = N_("This document number appears twice in the file.")
BAD_AREA = N_("Not a border area of this authority.")
FUTURE_DATE = N_("This date is in the future.")
BEFORE_BIRTH = N_("Before the date of birth.")
UNLIKELY_BIRTH = N_("Not a plausible date of birth.")
BAD_CHARACTERS = N_("Contains characters that are not text.")

MAX_CSV_BYTES = 5_000_000
MAX_CSV_ROWS = 20_000
PAGE_SIZE = 20
MIN_WORD = 3  # the shortest word a trigram index can find
SHORT_QUERY = N_("Type at least 3 letters of a name, or a document number.")
_DOCUMENT = re.compile(r"[A-Z0-9]{5,24}")
_NATIONALITY = re.compile(r"[A-Z]{3}")
_LIMITS = {
    "surname_native": 100,
    "given_names_native": 100,
    "surname_latin": 100,
    "given_names_latin": 100,
    "address": 300,
}


@dataclass(frozen=True)
class ResidentInput:
    """One record as checked: every value well-formed; the area given by its code."""

    surname_native: str
    given_names_native: str
    surname_latin: str
    given_names_latin: str
    birth_date: date
    sex: str
    nationality: str
    document_number: str
    address: str
    border_area: str
    residence_since: date


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def normal_document_number(raw: str) -> str:
    """A travel document number as the registry keeps it: no spaces, upper case."""
    return "".join(raw.split()).upper()


def valid_document_number(number: str) -> bool:
    """Whether a normalised document number has the registry's form (BAD_DOCUMENT if not)."""
    return _DOCUMENT.fullmatch(number) is not None


def check_record(
    raw: Mapping[str, object], *, today: date, areas: Mapping[str, int]
) -> tuple[ResidentInput | None, dict[str, str]]:
    """Clean and check one record (form or CSV row); the Latin names default to the ICAO form.

    `areas` maps the agreement's border-area codes to ids. Returns the record or field errors.
    """
    value = {name: " ".join(str(raw.get(name) or "").split()) for name in FIELDS}
    errors: dict[str, str] = {}
    for name in ("surname_native", "given_names_native", "address", "document_number"):
        if not value[name]:
            errors[name] = REQUIRED
    for name in ("surname_latin", "given_names_latin"):
        native = value[name.replace("_latin", "_native")]
        value[name] = (value[name] or latin(native)).upper()
        if value[name] and not is_mrz_safe(value[name]):
            errors[name] = BAD_LATIN
        elif not value[name] and native:
            errors[name] = REQUIRED
    for name, limit in _LIMITS.items():
        if len(value[name]) > limit:
            errors[name] = TOO_LONG
    for name in FIELDS:  # NUL (PostgreSQL refuses it), bidi overrides, unassigned code points
        if any(unicodedata.category(c)[0] == "C" for c in value[name]):
            errors[name] = BAD_CHARACTERS
    value["sex"] = value["sex"].upper() or "X"
    if value["sex"] not in {"M", "F", "X"}:
        errors["sex"] = BAD_SEX
    value["nationality"] = value["nationality"].upper()
    if not _NATIONALITY.fullmatch(value["nationality"]):
        errors["nationality"] = BAD_NATIONALITY
    value["document_number"] = normal_document_number(value["document_number"])
    if value["document_number"] and not valid_document_number(value["document_number"]):
        errors["document_number"] = BAD_DOCUMENT
    value["border_area"] = value["border_area"].upper()
    if value["border_area"] not in areas:
        errors["border_area"] = BAD_AREA
    birth, since = _date(value["birth_date"]), _date(value["residence_since"])
    if birth is None:
        errors["birth_date"] = BAD_DATE
    elif birth > today:
        errors["birth_date"] = FUTURE_DATE
    elif birth.year < today.year - 130:
        errors["birth_date"] = UNLIKELY_BIRTH
    if since is None:
        errors["residence_since"] = BAD_DATE
    elif since > today:
        errors["residence_since"] = FUTURE_DATE
    elif birth is not None and since < birth:
        errors["residence_since"] = BEFORE_BIRTH
    if errors:
        return None, errors
    record = {**value, "birth_date": birth, "residence_since": since}
    return ResidentInput(**record), {}


def _staff(principal: Principal | None) -> Principal:
    principal = require(principal, Action.MANAGE_PERMITS)
    if principal.authority_id is None or principal.agreement_id is None:
        raise AccessDenied("You are not allowed to do this.")
    return principal


def home_areas(session: Session, principal: Principal) -> dict[str, int]:
    """The border areas residents of this authority live in: its agreement's, its country's."""
    authority = session.get(Authority, principal.authority_id)
    rows = session.exec(
        select(BorderArea.code, BorderArea.id).where(
            BorderArea.agreement_id == principal.agreement_id,
            BorderArea.country == (authority.country if authority else ""),
        )
    ).all()
    return {code: area_id for code, area_id in rows if area_id is not None}


def _agreement_authorities(principal: Principal):
    return select(Authority.id).where(Authority.agreement_id == principal.agreement_id)


def own_resident(session: Session, principal: Principal, resident_id: int) -> Resident:
    principal = _staff(principal)
    row = session.exec(
        select(Resident)
        .where(Resident.id == resident_id)
        .where(col(Resident.authority_id).in_(_agreement_authorities(principal)))
    ).first()
    if row is None:
        raise ResidentError(N_("No such resident."))
    return row


def document_taken(session: Session, number: str, except_id: int | None = None) -> bool:
    """A confirmed resident holds this number (self-declared ones wait for review)."""
    query = select(Resident.id).where(
        Resident.document_number == number, col(Resident.self_declared).is_(False)
    )
    if except_id is not None:
        query = query.where(Resident.id != except_id)
    return session.exec(query).first() is not None


def store_photo(session: Session, data: bytes, now: datetime) -> Document:
    """Crop and resize an uploaded portrait, then keep it; bad input raises ResidentError."""
    portrait = imaging.portrait_jpeg(data)
    if portrait.jpeg is None:
        raise ResidentError(portrait.error or imaging.NOT_AN_IMAGE)
    document = Document(
        kind="photo",
        content_type="image/jpeg",
        sha256=hashlib.sha256(portrait.jpeg).hexdigest(),
        data=portrait.jpeg,
        created_at=now,
    )
    session.add(document)
    session.flush()
    return document


def columns(record: ResidentInput, areas: Mapping[str, int]) -> dict[str, object]:
    """The record as Resident column values (the area code becomes its id)."""
    values = asdict(record)
    values["border_area_id"] = areas[values.pop("border_area")]
    return values


def save_resident(
    *,
    session: Session,
    principal: Principal | None,
    raw: Mapping[str, object],
    now: datetime,
    resident_id: int | None = None,
    photo: bytes | None = None,
) -> tuple[Resident | None, dict[str, str]]:
    """Create (no `resident_id`) or edit a resident; field errors change nothing."""
    principal = _staff(principal)
    existing = own_resident(session, principal, resident_id) if resident_id else None
    areas = home_areas(session, principal)
    record, errors = check_record(raw, today=now.astimezone(principal.zone).date(), areas=areas)
    if record is not None and document_taken(session, record.document_number, resident_id):
        errors = {"document_number": DOCUMENT_TAKEN}
    if existing is None and not photo and not errors:
        errors = {"photo": N_("A photo is required.")}
    if record is None or errors:
        return None, errors
    portrait = store_photo(session, photo, now) if photo else None
    values = columns(record, areas)
    changed = sorted(
        name for name, value in values.items() if existing and getattr(existing, name) != value
    )
    resident = existing or Resident(
        authority_id=principal.authority_id or 0, created_at=now, **values
    )
    for name, value in values.items():
        setattr(resident, name, value)
    if portrait is not None:
        resident.photo_id = portrait.id
    session.add(resident)
    session.flush()
    audit.record(
        session=session,
        action="resident_updated" if existing else "resident_created",
        now=now,
        actor=principal,
        subject=resident.document_number,
        detail={"resident": resident.id, "fields": changed, "photo": portrait is not None},
    )
    return resident, {}


def name_words(session: Session, query: str) -> list[sa.ColumnElement[bool]]:
    """The conditions that find residents whose search text holds every word of `query`
    (case-folded) — through the trigram index: PostgreSQL's GIN index serves `LIKE '%word%'`
    for words of three characters or more, SQLite's FTS5 trigram table (`resident_search`,
    kept by triggers) the same words as phrases. Shorter words only filter what the longer
    ones found; a query with words but none of three characters is refused (SHORT_QUERY)."""
    words = " ".join(query.split())[:100].casefold().split()
    long_words = [word for word in words if len(word) >= MIN_WORD]
    if words and not long_words:
        raise ResidentError(SHORT_QUERY)
    text = col(Resident.search_text)
    # `|| ''` keeps a short word out of the index condition (a trigram index cannot narrow it).
    where = [
        text.contains(word, autoescape=True)
        if len(word) >= MIN_WORD
        else (text + "").contains(word, autoescape=True)
        for word in words
    ]
    if long_words and session.get_bind().dialect.name == "sqlite":
        phrases = " ".join('"' + word.replace('"', '""') + '"' for word in long_words)
        found = sa.select(sa.column("rowid")).select_from(sa.table(SEARCH_TABLE))
        found = found.where(sa.text(f"{SEARCH_TABLE} MATCH :phrases").bindparams(phrases=phrases))
        where.append(col(Resident.id).in_(found))
    return where


@dataclass(frozen=True)
class ResidentRow:
    id: int
    surname_latin: str
    given_names_latin: str
    native: str
    birth_date: date
    document_number: str
    area: str


def search_residents(
    *, session: Session, principal: Principal | None, query: str = "", page: int = 1
) -> tuple[list[ResidentRow], int]:
    """One page of the registry (newest first) matching `query` in either script or the
    document number; also the number of matches, counted up to `listing.COUNT_LIMIT` + 1.
    A query that is a whole document number (with a digit: names have none) finds that
    number through its index; when no number is exactly that, it is looked for as part of one
    (the last digits someone remembers). Parts of names are found through the trigram index
    (`name_words`), so every query needs a word of at least three letters (SHORT_QUERY)."""
    principal = _staff(principal)
    scope = col(Resident.authority_id).in_(_agreement_authorities(principal))
    number = normal_document_number(query)
    where = [scope, Resident.document_number == number]
    total = 0
    if valid_document_number(number) and any(c.isdigit() for c in number):
        total = listing.bounded_count(session, select(Resident.id).where(*where))
    if not total:
        where = [scope, *name_words(session, query)]
        total = listing.bounded_count(session, select(Resident.id).where(*where))
    pages = listing.page_count(total, PAGE_SIZE)
    rows = session.exec(
        select(Resident, BorderArea.code)
        .join(BorderArea, col(BorderArea.id) == Resident.border_area_id)
        .where(*where)
        .order_by(col(Resident.id).desc())
        .offset((max(1, min(page, pages)) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return [
        ResidentRow(
            id=r.id or 0,
            surname_latin=r.surname_latin,
            given_names_latin=r.given_names_latin,
            native=f"{r.surname_native} {r.given_names_native}",
            birth_date=r.birth_date,
            document_number=r.document_number,
            area=code,
        )
        for r, code in rows
    ], total


@dataclass(frozen=True)
class ResidentFile:
    """What the resident page shows."""

    resident: Resident
    area: str
    photo: bytes | None
    documents: list[tuple[str, datetime]]
    applications: list[Application]
    permits: list[Permit]
    crossings: list[tuple[Crossing, str]]  # with the crossing point's name


def resident_file(*, session: Session, principal: Principal | None, resident_id: int):
    principal = _staff(principal)
    resident = own_resident(session, principal, resident_id)
    area = session.get(BorderArea, resident.border_area_id)
    photo = session.get(Document, resident.photo_id) if resident.photo_id else None
    applications = list(
        session.exec(
            select(Application)
            .where(Application.resident_id == resident.id)
            .order_by(col(Application.submitted_at).desc())
        ).all()
    )
    proof_ids = [a.proof_id for a in applications if a.proof_id]
    documents = [
        (d.kind, d.created_at)
        for d in session.exec(
            select(Document).where(col(Document.id).in_([resident.photo_id, *proof_ids]))
        ).all()
    ]
    permits = list(
        session.exec(
            select(Permit)
            .where(Permit.resident_id == resident.id)
            .order_by(col(Permit.issued_at).desc())
        ).all()
    )
    crossings = list(
        session.exec(
            select(Crossing, CrossingPoint.name)
            .join(Permit, col(Permit.id) == Crossing.permit_id)
            .join(CrossingPoint, col(CrossingPoint.id) == Crossing.crossing_point_id)
            .where(Permit.resident_id == resident.id)
            .order_by(col(Crossing.at).desc())
            .limit(20)
        ).all()
    )
    return ResidentFile(
        resident=resident,
        area=area.code if area else "",
        photo=photo.data if photo else None,
        documents=documents,
        applications=applications,
        permits=permits,
        crossings=crossings,
    )


@dataclass
class ImportReport:
    imported: int = 0
    rows: int = 0
    # (line number in the file, field, message id), in file order
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    problem: str = ""  # a message id when the file as a whole was refused
    problem_line: int = 0


CSV_TOO_LARGE = N_("The file is too large.")
CSV_NOT_TEXT = N_("The file is not UTF-8 text.")
CSV_BAD_HEADER = N_("The first line must name the columns: {columns}.")
CSV_TOO_MANY_ROWS = N_("At most 20,000 rows per file.")
CSV_NOT_A_TABLE = N_("The file cannot be read as a table (line {line}).")


def import_csv(
    *,
    session: Session,
    principal: Principal | None,
    data: bytes,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import residents from CSV: good rows in one transaction, each bad row reported.

    A row is all or nothing. Photos come later, on each resident's page.
    """
    principal = _staff(principal)
    report = ImportReport()
    if len(data) > MAX_CSV_BYTES:
        report.problem = CSV_TOO_LARGE
        return report
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.problem = CSV_NOT_TEXT
        return report
    sample = text.partition("\n")[0][:4096]  # the header line names the separator
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    try:  # a field longer than csv's limit, a NUL byte...: the whole file is refused
        header = [h.strip().lower() for h in reader.fieldnames or []]
        required = set(FIELDS) - {"surname_latin", "given_names_latin", "sex"}
        if not required <= set(header):
            report.problem = CSV_BAD_HEADER
            return report
        reader.fieldnames = header
        rows = list(reader)
    except csv.Error:
        report.problem, report.problem_line = CSV_NOT_A_TABLE, reader.line_num + 1
        return report
    if len(rows) > MAX_CSV_ROWS:
        report.problem = CSV_TOO_MANY_ROWS
        return report
    report.rows = len(rows)
    areas = home_areas(session, principal)
    today = now.astimezone(principal.zone).date()
    good: list[tuple[int, ResidentInput]] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        line = index + 2  # the header is line 1
        record, errors = check_record(row, today=today, areas=areas)
        if record is not None and record.document_number in seen:
            errors = {"document_number": DOCUMENT_TWICE}
        for name, message in errors.items():
            report.errors.append((line, name, CSV_BAD_DATE if message == BAD_DATE else message))
        if record is not None and not errors:
            seen[record.document_number] = line
            good.append((line, record))
        if progress and index % 500 == 0:
            progress(index, len(rows) * 2)
    taken = set()
    numbers = [record.document_number for _, record in good]
    for start in range(0, len(numbers), 500):
        taken |= set(
            session.exec(
                select(Resident.document_number).where(
                    col(Resident.document_number).in_(numbers[start : start + 500]),
                    col(Resident.self_declared).is_(False),
                )
            ).all()
        )
    values = []
    for line, record in good:
        if record.document_number in taken:
            report.errors.append((line, "document_number", DOCUMENT_TAKEN))
            continue
        row = columns(record, areas)
        row["search_text"] = Resident.compose_search_text(
            record.surname_native,
            record.given_names_native,
            record.surname_latin,
            record.given_names_latin,
            record.document_number,
        )
        values.append({**row, "authority_id": principal.authority_id, "created_at": now})
    for start in range(0, len(values), 1000):
        session.execute(sa.insert(Resident), values[start : start + 1000])
        if progress:
            progress(len(rows) + start, len(rows) * 2)
    report.imported = len(values)
    report.errors.sort()
    audit.record(
        session=session,
        action="residents_imported",
        now=now,
        actor=principal,
        subject=f"{report.imported} residents",
        detail={"rows": report.rows, "imported": report.imported, "errors": len(report.errors)},
    )
    if progress:
        progress(len(rows) * 2, len(rows) * 2)
    return report
