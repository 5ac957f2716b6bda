"""Setting up agreements: the agreement and its rules, its border areas, crossing points and
authorities, as an administrator enters them. Every change is audited with before and after.

A permit's QR code names its area, crossing points and issuer by their position in the
agreement's codebook (keys.codebook_for: codes in creation order). So codes are append-only
once something carries them: a code in use never changes, and nothing is deleted from an
agreement that has issued permits (deleting would move every later position). Names can always
change. Field errors are message ids; a request that cannot be done raises AgreementError;
either way the caller's transaction is left unchanged.
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from babel import Locale
from babel.core import get_global
from babel.dates import get_timezone_location
from sqlmodel import Session, col, func, select

from lbt_app.core.access import Action, Principal, require
from lbt_app.db.models import (
    Agreement,
    Application,
    Authority,
    BorderArea,
    Crossing,
    CrossingPoint,
    CrossingPointArea,
    Permit,
    PermitCrossingPoint,
    RefusalEntry,
    Resident,
    SigningKey,
    User,
)
from lbt_app.i18n import LANGUAGES, N_, language_name, place_name
from lbt_app.services import audit, keys, stays
from lbt_app.services.residents import BAD_CHARACTERS, REQUIRED, TOO_LONG

# ISO 3166-1 alpha-3 codes withdrawn from the standard that CLDR still maps.
_WITHDRAWN = {"BUR", "DDR", "FXX", "TMP", "YMD", "ZAR"}
_CODE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
AREA_LIMITS = (30, 50)  # km: the regulation's rule, and its exception
MAX_PERIOD_DAYS = 730
MAX_RESIDENCE_YEARS = 50
KINDS = {"issuing": N_("Issues permits"), "border": N_("Border service")}
DEFAULT_CARD_LANGUAGES = N_("The host country's language and Russian")

BAD_CODE = N_("Upper-case letters, digits and hyphens, e.g. TJ-SGD.")
CODE_TAKEN = N_("This code is already used in this installation.")
NOT_LATIN = N_("The international name is written in Latin letters.")
BAD_COUNTRY = N_("Choose a country from the list.")
SAME_COUNTRIES = N_("The two countries must differ.")
COUNTRY_IN_USE = N_("Border areas or authorities of this agreement are in this country.")
BAD_ZONE = N_("Choose a time zone from the list.")
BAD_CARD_LANGUAGES = N_("Choose the card languages from the list.")
BAD_STAY = N_("A whole number of days from 1 to 90.")
CAP_PAIR = N_("Fill in both numbers of the cap, or neither.")
BAD_CAP = N_("A whole number of days, no more than the period.")
BAD_PERIOD = N_("A whole number of days from 1 to 730.")
BAD_VALIDITY = N_("A whole number of years from 1 to 5.")
VALIDITY_ORDER = N_("The shortest validity cannot be longer than the longest.")
BAD_RESIDENCE = N_("A whole number of years from 1 to 50.")
BAD_AREA_LIMIT = N_("30 km, or 50 km as the regulation's exception.")
AREA_DEEPER = N_("A border area of this agreement is deeper than this.")
BAD_SIDE = N_("One of the agreement's two countries.")
BAD_DEPTH = N_("Whole kilometres, no more than the agreement's limit.")
BAD_DISTRICTS = N_("List the districts, separated by commas.")
NO_SERVED_AREA = N_("Choose the border areas this crossing point serves.")
BAD_KIND = N_("Choose issuing authority or border service.")
NO_AGREEMENT = N_("Choose an agreement first.")
NO_SUCH_THING = N_("It is no longer there; the list has been refreshed.")
CODE_IN_USE = N_("This code cannot change: {uses} refer to it.")
FIXED_IN_USE = N_("This cannot change: {uses} refer to it.")
IN_USE = N_("This cannot be deleted: {uses} refer to it.")
AFTER_PERMITS = N_(
    "Nothing can be deleted from an agreement that has issued permits: a permit's QR code "
    "names areas, crossing points and authorities by their place in the agreement's list, "
    "and deleting one would move every later one."
)
USES = {
    "permits": N_("permits"),
    "residents": N_("residents"),
    "officers": N_("officers stationed there"),
    "crossings": N_("recorded crossings"),
    "keys": N_("signing keys"),
    "staff": N_("staff accounts"),
    "applications": N_("applications"),
    "refusals": N_("refusal list entries"),
}


class AgreementError(ValueError):
    """A set-up change that cannot be done; the message is a message id whose `{uses}` lists
    (as message ids) what refers to the record."""

    def __init__(self, message: str, *, uses: tuple[str, ...] = (), field: str = "") -> None:
        super().__init__(message)
        self.uses = uses
        self.field = field


Errors = dict[str, str]


@cache
def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-3 → alpha-2, from the CLDR data Babel ships."""
    known = Locale.parse("en").territories
    return {
        alpha3: alpha2[0]
        for alpha3, alpha2 in get_global("territory_aliases").items()
        if len(alpha3) == 3
        and alpha3.isalpha()
        and alpha3 not in _WITHDRAWN
        and len(alpha2) == 1
        and alpha2[0] in known
    }


def country_name(alpha3: str, lang: str) -> str:
    alpha2 = countries().get(alpha3)
    return Locale.parse(lang).territories.get(alpha2, alpha3) if alpha2 else alpha3


def area_name(area: BorderArea, lang: str) -> str:
    """A border area by the name a reader of `lang` knows it by."""
    return place_name(area.name, area.name_native, area.country, lang)


def area_names(session: Session, agreement_id: int | None, lang: str) -> dict[str, str]:
    """The agreement's border areas by code, each by the name a reader of `lang` knows it by:
    what staff see on lists, filters and forms (the code is what forms send and files hold)."""
    areas = session.exec(select(BorderArea).where(BorderArea.agreement_id == agreement_id))
    return {a.code: area_name(a, lang) for a in areas}


def area_choices(names: Mapping[str, str], codes: Iterable[str]) -> list[dict[str, str]]:
    """A select's options for these areas: each shown by its name, in the order of names."""
    return sorted(({"code": c, "name": names.get(c, c)} for c in codes), key=lambda o: o["name"])


@cache
def country_choices(lang: str) -> tuple[tuple[str, str], ...]:
    """(alpha-3, name in `lang`), by name."""
    return tuple(sorted(((c, country_name(c, lang)) for c in countries()), key=lambda p: p[1]))


@cache
def time_zones(*codes: str) -> tuple[str, ...]:
    """The zones offered for an agreement between the countries `codes` (alpha-3): UTC, then
    those CLDR lists for each, by name. Days of stay are counted in one of them; a list of every
    zone on Earth (nearly 500) was a long task to draw on a phone, and a long scroll."""
    alpha2 = countries()
    zones = get_global("territory_zones")
    available = zoneinfo.available_timezones()
    found = {z for c in codes for z in zones.get(alpha2.get(c, ""), ()) if z in available}
    return ("UTC", *sorted(found))


def zone_label(zone: str, lang: str, now: datetime) -> str:
    """A zone as people know it: its city in `lang` and its offset from UTC at `now`."""
    if zone == "UTC":
        return zone
    offset = int(now.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset().total_seconds()) // 60
    hours, minutes = divmod(abs(offset), 60)
    sign = "+" if offset >= 0 else "−"
    city = get_timezone_location(zone, locale=Locale.parse(lang), return_city=True)
    return f"{city} (UTC{sign}{hours}{f':{minutes:02d}' if minutes else ''})"


def card_language_choices() -> tuple[tuple[str, str], ...]:
    """(stored value, label): the default (""), then every ordered pair of the app's languages."""
    pairs = tuple(
        (f"{a},{b}", f"{language_name(a)} · {language_name(b)}")
        for a in LANGUAGES
        for b in LANGUAGES
        if a != b
    )
    return (("", DEFAULT_CARD_LANGUAGES), *pairs)


# --- reading the form ---------------------------------------------------------------------


def _text(raw: Mapping[str, object], key: str, errors: Errors, *, limit: int = 200) -> str:
    """A one-line text: spaces collapsed; "" (and REQUIRED noted by the caller) when empty."""
    value = " ".join(str(raw.get(key) or "").split())
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Co", "Cs"} for ch in value):
        errors[key] = BAD_CHARACTERS
    elif len(value) > limit:
        errors[key] = TOO_LONG
    return value


def _required(raw: Mapping[str, object], key: str, errors: Errors, *, limit: int = 200) -> str:
    value = _text(raw, key, errors, limit=limit)
    if not value and key not in errors:
        errors[key] = REQUIRED
    return value


def _latin(raw: Mapping[str, object], key: str, errors: Errors) -> str:
    value = _required(raw, key, errors)
    letters = [ch for ch in value if ch.isalpha()]
    latin = all(unicodedata.name(ch, "").startswith(("LATIN", "MODIFIER")) for ch in letters)
    if value and key not in errors and not latin:
        errors[key] = NOT_LATIN
    return value


def _code(raw: Mapping[str, object], errors: Errors, *, limit: int) -> str:
    value = str(raw.get("code") or "").strip().upper()
    if not value:
        errors["code"] = REQUIRED
    elif len(value) > limit:
        errors["code"] = TOO_LONG
    elif not value.isascii() or not _CODE.fullmatch(value):
        errors["code"] = BAD_CODE
    return value


def _whole(value: object) -> int | None:
    text = str(value if value is not None else "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None


def _number(
    raw: Mapping[str, object], key: str, errors: Errors, low: int, high: int, message: str
) -> int | None:
    number = _whole(raw.get(key))
    if number is None or not low <= number <= high:
        errors[key] = message
        return None
    return number


def _country(raw: Mapping[str, object], key: str, errors: Errors) -> str:
    value = str(raw.get(key) or "").strip().upper()
    if value not in countries():
        errors[key] = BAD_COUNTRY
    return value


def _taken(session: Session, model, code: str, own_id: int | None = None) -> bool:
    query = select(model.id).where(model.code == code)
    if own_id is not None:
        query = query.where(model.id != own_id)
    return session.exec(query).first() is not None


def _fields(row, names: tuple[str, ...]) -> dict[str, object]:
    return {name: getattr(row, name) for name in names}


def _changes(
    before: dict[str, object], after: dict[str, object]
) -> tuple[dict[str, object], dict[str, object]]:
    """Only what changed, as (before, after)."""
    changed = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


# --- the agreements ---------------------------------------------------------------------------

DETAILS = ("name", "country_a", "country_b", "timezone", "card_languages")
# What the stay rules of a holder inside read from the agreement (services/stays.stay_rules);
# a permit's own days per stay were signed into it.
STAY_RULES = {"period_cap_days", "period_days", "timezone"}
RULES = (
    "max_stay_days",
    "period_cap_days",
    "period_days",
    "min_validity_years",
    "max_validity_years",
    "min_residence_years",
    "max_area_km",
)


@dataclass(frozen=True)
class PointView:
    point: CrossingPoint
    serves: tuple[str, ...]  # the codes of the areas it serves, in the areas' order


@dataclass(frozen=True)
class Setup:
    """One agreement as the set-up page shows it."""

    agreement: Agreement
    areas: tuple[BorderArea, ...]
    points: tuple[PointView, ...]
    authorities: tuple[Authority, ...]
    has_permits: bool


def agreements(*, session: Session, principal: Principal | None) -> list[Agreement]:
    require(principal, Action.ADMINISTER)
    return list(session.exec(select(Agreement).order_by(Agreement.id)).all())


def _agreement(session: Session, code: str) -> Agreement:
    agreement = (
        session.exec(select(Agreement).where(Agreement.code == code)).first() if code else None
    )
    if agreement is None:
        raise AgreementError(NO_AGREEMENT)
    return agreement


def _has_permits(session: Session, agreement: Agreement) -> bool:
    issuers = select(Authority.id).where(Authority.agreement_id == agreement.id)
    return (
        session.exec(select(Permit.id).where(col(Permit.authority_id).in_(issuers))).first()
        is not None
    )


def setup_of(*, session: Session, principal: Principal | None, code: str) -> Setup:
    require(principal, Action.ADMINISTER)
    agreement = _agreement(session, code)

    def rows(model):
        return tuple(
            session.exec(
                select(model).where(model.agreement_id == agreement.id).order_by(model.id)
            ).all()
        )

    areas, points = rows(BorderArea), rows(CrossingPoint)
    served = session.exec(
        select(CrossingPointArea).where(
            col(CrossingPointArea.crossing_point_id).in_([p.id for p in points])
        )
    ).all()
    return Setup(
        agreement=agreement,
        areas=areas,
        points=tuple(
            PointView(
                p,
                tuple(
                    a.code
                    for a in areas
                    if any(s.crossing_point_id == p.id and s.border_area_id == a.id for s in served)
                ),
            )
            for p in points
        ),
        authorities=rows(Authority),
        has_permits=_has_permits(session, agreement),
    )


def _details(
    session: Session, raw: Mapping[str, object], errors: Errors, agreement: Agreement | None
) -> dict[str, object]:
    values: dict[str, object] = {
        "name": _required(raw, "name", errors),
        "country_a": _country(raw, "country_a", errors),
        "country_b": _country(raw, "country_b", errors),
        "timezone": str(raw.get("timezone") or "").strip(),
        "card_languages": str(raw.get("card_languages") or "").strip(),
    }
    if values["timezone"] not in zoneinfo.available_timezones():
        errors["timezone"] = BAD_ZONE
    if values["card_languages"] not in dict(card_language_choices()):
        errors["card_languages"] = BAD_CARD_LANGUAGES
    if "country_b" not in errors and values["country_a"] == values["country_b"]:
        errors["country_b"] = SAME_COUNTRIES
    if agreement is not None:
        # A country may be replaced only where nothing of the agreement stands in it.
        used = {a.country for a in _rows(session, BorderArea, agreement)}
        used |= {a.country for a in _rows(session, Authority, agreement)}
        kept = {values["country_a"], values["country_b"]}
        for key in ("country_a", "country_b"):
            old = getattr(agreement, key)
            if key not in errors and old in used and old not in kept:
                errors[key] = COUNTRY_IN_USE
    return values


def _rows(session: Session, model, agreement: Agreement) -> list:
    return list(session.exec(select(model).where(model.agreement_id == agreement.id)).all())


def _rules(
    session: Session, raw: Mapping[str, object], errors: Errors, agreement: Agreement
) -> dict[str, object]:
    values: dict[str, object] = {
        "max_stay_days": _number(raw, "max_stay_days", errors, 1, 90, BAD_STAY),
        "min_validity_years": _number(raw, "min_validity_years", errors, 1, 5, BAD_VALIDITY),
        "max_validity_years": _number(raw, "max_validity_years", errors, 1, 5, BAD_VALIDITY),
        "min_residence_years": _number(
            raw, "min_residence_years", errors, 1, MAX_RESIDENCE_YEARS, BAD_RESIDENCE
        ),
        "max_area_km": _whole(raw.get("max_area_km")),
        "period_cap_days": None,
        "period_days": None,
    }
    cap_given, period_given = (
        str(raw.get(k) or "").strip() for k in ("period_cap_days", "period_days")
    )
    if cap_given or period_given:
        if not (cap_given and period_given):
            errors["period_cap_days" if not cap_given else "period_days"] = CAP_PAIR
        else:
            period = _number(raw, "period_days", errors, 1, MAX_PERIOD_DAYS, BAD_PERIOD)
            cap = _number(raw, "period_cap_days", errors, 1, period or MAX_PERIOD_DAYS, BAD_CAP)
            values["period_cap_days"], values["period_days"] = cap, period
    low, high = values["min_validity_years"], values["max_validity_years"]
    if isinstance(low, int) and isinstance(high, int) and low > high:
        errors["min_validity_years"] = VALIDITY_ORDER
    if values["max_area_km"] not in AREA_LIMITS:
        errors["max_area_km"] = BAD_AREA_LIMIT
    elif any(a.depth_km > values["max_area_km"] for a in _rows(session, BorderArea, agreement)):
        errors["max_area_km"] = AREA_DEEPER
    return values


def create_agreement(
    *, session: Session, principal: Principal | None, raw: Mapping[str, object], now: datetime
) -> tuple[Agreement | None, Errors]:
    """A new agreement with the regulation's limits as its rules (the administrator then sets
    the agreement's own)."""
    principal = require(principal, Action.ADMINISTER)
    errors: Errors = {}
    code = _code(raw, errors, limit=16)
    values = _details(
        session, {**raw, "card_languages": raw.get("card_languages") or ""}, errors, None
    )
    if "code" not in errors and _taken(session, Agreement, code):
        errors["code"] = CODE_TAKEN
    if errors:
        return None, errors
    agreement = Agreement(
        code=code,
        max_stay_days=90,
        min_validity_years=1,
        max_validity_years=5,
        min_residence_years=1,
        max_area_km=30,
        created_at=now,
        **values,
    )
    session.add(agreement)
    session.flush()
    audit.record(
        session=session,
        action="agreement_created",
        now=now,
        actor=principal,
        subject=code,
        detail={"before": {}, "after": _fields(agreement, ("code", *DETAILS, *RULES))},
    )
    return agreement, {}


def change_agreement(
    *,
    session: Session,
    principal: Principal | None,
    code: str,
    raw: Mapping[str, object],
    now: datetime,
    part: str,
) -> tuple[Agreement | None, Errors]:
    """Change the agreement's details (`part` "details") or its rules ("rules"); they apply from
    now on (see the set-up page's note)."""
    principal = require(principal, Action.ADMINISTER)
    agreement = _agreement(session, code)
    errors: Errors = {}
    if part == "rules":
        values, names = _rules(session, raw, errors, agreement), RULES
    else:
        values, names = _details(session, raw, errors, agreement), DETAILS
    if errors:
        return None, errors
    before, after = _changes(_fields(agreement, names), values)
    if not after:
        return agreement, {}
    for key, value in after.items():
        setattr(agreement, key, value)
    session.add(agreement)
    session.flush()
    if STAY_RULES & after.keys():  # the holders inside now are judged by the new rules
        stays.resettle(session, agreement=agreement, now=now)
    audit.record(
        session=session,
        action="agreement_changed",
        now=now,
        actor=principal,
        subject=agreement.code,
        detail={"before": before, "after": after},
    )
    return agreement, {}


# --- areas, crossing points and authorities ------------------------------------------------


def _count(session: Session, query) -> int:
    return session.exec(select(func.count()).select_from(query.subquery())).one()


def _uses(session: Session, row) -> tuple[str, ...]:
    """What refers to an area, a crossing point or an authority (USES keys), as message ids."""
    if isinstance(row, BorderArea):
        found = {
            "permits": select(Permit.id).where(Permit.border_area_id == row.id),
            "residents": select(Resident.id).where(Resident.border_area_id == row.id),
        }
    elif isinstance(row, CrossingPoint):
        found = {
            "permits": select(PermitCrossingPoint.permit_id).where(
                PermitCrossingPoint.crossing_point_id == row.id
            ),
            "officers": select(User.id).where(User.crossing_point_id == row.id),
            "crossings": select(Crossing.id).where(Crossing.crossing_point_id == row.id),
        }
    else:
        found = {
            "permits": select(Permit.id).where(Permit.authority_id == row.id),
            "keys": select(SigningKey.id).where(SigningKey.authority_id == row.id),
            "staff": select(User.id).where(User.authority_id == row.id),
            "residents": select(Resident.id).where(Resident.authority_id == row.id),
            "applications": select(Application.id).where(Application.authority_id == row.id),
            "refusals": select(RefusalEntry.id).where(RefusalEntry.authority_id == row.id),
        }
    return tuple(USES[k] for k, query in found.items() if _count(session, query))


def _own(session: Session, model, agreement: Agreement, code: str):
    row = session.exec(
        select(model).where(model.agreement_id == agreement.id, model.code == code)
    ).first()
    if row is None:
        raise AgreementError(NO_SUCH_THING)
    return row


def _new_code(session: Session, model, row, code: str, errors: Errors) -> None:
    """A code given for a new or existing record: unique, and fixed once in use."""
    if "code" in errors or (row is not None and row.code == code):
        return
    if _taken(session, model, code, row.id if row is not None else None):
        errors["code"] = CODE_TAKEN
    elif row is not None and (uses := _uses(session, row)):
        raise AgreementError(CODE_IN_USE, uses=uses, field="code")


def _write(session: Session, row, values: dict[str, object]) -> dict[str, object]:
    """Set and flush the values; returns what they were before ({} for a new row)."""
    before = {} if row.id is None else _fields(row, tuple(values))
    for key, value in values.items():
        setattr(row, key, value)
    session.add(row)
    session.flush()
    return before


def _record(
    session: Session,
    principal: Principal,
    *,
    action: str,
    row,
    agreement: Agreement,
    before: dict[str, object],
    after: dict[str, object],
    now: datetime,
) -> None:
    """Audit a created, changed or deleted record with what changed (nothing: no event)."""
    if before and after:
        before, after = _changes(before, after)
        if not after:
            return
    audit.record(
        session=session,
        action=action,
        now=now,
        actor=principal,
        subject=row.code,
        detail={"agreement": agreement.code, "before": before, "after": after},
    )


def _delete(session: Session, agreement: Agreement, row) -> dict[str, object]:
    """Refuse, or delete the unused record of an agreement without permits."""
    if uses := _uses(session, row):
        raise AgreementError(IN_USE, uses=uses)
    if _has_permits(session, agreement):
        raise AgreementError(AFTER_PERMITS)
    before = row.model_dump(exclude={"id", "agreement_id"})
    link = {
        BorderArea: CrossingPointArea.border_area_id,
        CrossingPoint: CrossingPointArea.crossing_point_id,
    }
    if type(row) in link:  # the areas a point serves go with either
        if isinstance(row, CrossingPoint):
            before["serves"] = _served(session, row)
        for served in session.exec(
            select(CrossingPointArea).where(link[type(row)] == row.id)
        ).all():
            session.delete(served)
        session.flush()
    session.delete(row)
    session.flush()
    return before


def _area_values(
    raw: Mapping[str, object], errors: Errors, agreement: Agreement
) -> dict[str, object]:
    districts = [
        " ".join(d.split())
        for d in re.split(r"[\n,;]", str(raw.get("districts") or ""))
        if d.strip()
    ]
    values: dict[str, object] = {
        "name": _latin(raw, "name", errors),
        "name_native": _text(raw, "name_native", errors),
        "country": str(raw.get("country") or "").strip().upper(),
        "depth_km": _number(raw, "depth_km", errors, 1, agreement.max_area_km, BAD_DEPTH),
        "districts": list(dict.fromkeys(districts)),
    }
    if values["country"] not in {agreement.country_a, agreement.country_b}:
        errors["country"] = BAD_SIDE
    if not districts or len(districts) > 100 or any(len(d) > 100 for d in districts):
        errors["districts"] = BAD_DISTRICTS
    return values


def save_area(
    *,
    session: Session,
    principal: Principal | None,
    agreement_code: str,
    area_code: str,
    raw: Mapping[str, object],
    now: datetime,
) -> tuple[BorderArea | None, Errors]:
    """Add a border area (`area_code` "") or change one."""
    principal = require(principal, Action.ADMINISTER)
    agreement = _agreement(session, agreement_code)
    area = _own(session, BorderArea, agreement, area_code) if area_code else None
    errors: Errors = {}
    code = _code(raw, errors, limit=16)
    values = {"code": code, **_area_values(raw, errors, agreement)}
    moved = area is not None and values["country"] != area.country and "country" not in errors
    if moved and (uses := _uses(session, area)):
        raise AgreementError(FIXED_IN_USE, uses=uses, field="country")
    _new_code(session, BorderArea, area, code, errors)
    if errors:
        return None, errors
    row = area or BorderArea(agreement_id=agreement.id or 0)
    before = _write(session, row, values)
    _record(
        session,
        principal,
        action="area_changed" if before else "area_created",
        row=row,
        agreement=agreement,
        before=before,
        after=values,
        now=now,
    )
    return row, {}


def _served(session: Session, point: CrossingPoint) -> list[str]:
    return list(
        session.exec(
            select(BorderArea.code)
            .join(CrossingPointArea, col(CrossingPointArea.border_area_id) == BorderArea.id)
            .where(CrossingPointArea.crossing_point_id == point.id)
            .order_by(BorderArea.id)
        ).all()
    )


def save_point(
    *,
    session: Session,
    principal: Principal | None,
    agreement_code: str,
    point_code: str,
    raw: Mapping[str, object],
    serves: list[str],
    now: datetime,
) -> tuple[CrossingPoint | None, Errors]:
    """Add a crossing point (`point_code` "") or change one, with the areas it serves (codes)."""
    principal = require(principal, Action.ADMINISTER)
    agreement = _agreement(session, agreement_code)
    point = _own(session, CrossingPoint, agreement, point_code) if point_code else None
    errors: Errors = {}
    code = _code(raw, errors, limit=16)
    values: dict[str, object] = {
        "code": code,
        "name": _latin(raw, "name", errors),
        "name_native": _text(raw, "name_native", errors),
    }
    areas = {a.code: a for a in _rows(session, BorderArea, agreement)}
    chosen = [a for a in areas.values() if a.code in set(serves)]
    if not chosen or not set(serves) <= areas.keys():
        errors["serves"] = NO_SERVED_AREA
    _new_code(session, CrossingPoint, point, code, errors)
    if errors:
        return None, errors
    row = point or CrossingPoint(agreement_id=agreement.id or 0)
    before = _write(session, row, values)
    if before:
        before["serves"] = _served(session, row)
        for link in session.exec(
            select(CrossingPointArea).where(CrossingPointArea.crossing_point_id == row.id)
        ).all():
            session.delete(link)
        session.flush()
    for area in sorted(chosen, key=lambda a: a.id or 0):
        session.add(CrossingPointArea(crossing_point_id=row.id or 0, border_area_id=area.id or 0))
    session.flush()
    _record(
        session,
        principal,
        action="point_changed" if before else "point_created",
        row=row,
        agreement=agreement,
        before=before,
        after={**values, "serves": [a.code for a in sorted(chosen, key=lambda a: a.id or 0)]},
        now=now,
    )
    return row, {}


def save_authority(
    *,
    session: Session,
    principal: Principal | None,
    agreement_code: str,
    authority_code: str,
    raw: Mapping[str, object],
    kek: bytes,
    now: datetime,
) -> tuple[Authority | None, Errors]:
    """Add an authority (`authority_code` "") or change one. An issuing authority gets its
    first signing key with it: without one nothing could be issued."""
    principal = require(principal, Action.ADMINISTER)
    agreement = _agreement(session, agreement_code)
    authority = _own(session, Authority, agreement, authority_code) if authority_code else None
    errors: Errors = {}
    code = _code(raw, errors, limit=24)
    values: dict[str, object] = {
        "code": code,
        "name": _latin(raw, "name", errors),
        "name_native": _text(raw, "name_native", errors),
        "country": str(raw.get("country") or "").strip().upper(),
        "kind": str(raw.get("kind") or "").strip(),
    }
    if values["country"] not in {agreement.country_a, agreement.country_b}:
        errors["country"] = BAD_SIDE
    if values["kind"] not in KINDS:
        errors["kind"] = BAD_KIND
    if authority is not None and not errors:
        for key in ("country", "kind"):
            if values[key] != getattr(authority, key) and (uses := _uses(session, authority)):
                raise AgreementError(FIXED_IN_USE, uses=uses, field=key)
    _new_code(session, Authority, authority, code, errors)
    if errors:
        return None, errors
    row = authority or Authority(agreement_id=agreement.id or 0)
    before = _write(session, row, values)
    _record(
        session,
        principal,
        action="authority_changed" if before else "authority_created",
        row=row,
        agreement=agreement,
        before=before,
        after=values,
        now=now,
    )
    has_key = session.exec(select(SigningKey.id).where(SigningKey.authority_id == row.id)).first()
    if row.kind == "issuing" and has_key is None:
        keys.create_key(session=session, authority=row, kek=kek, now=now, actor=principal)
    return row, {}


# What an administrator may delete, and the event that records it.
DELETABLE = {
    "area": dict(model=BorderArea, action="area_deleted"),
    "point": dict(model=CrossingPoint, action="point_deleted"),
    "authority": dict(model=Authority, action="authority_deleted"),
}


def delete(
    *,
    session: Session,
    principal: Principal | None,
    agreement_code: str,
    part: str,
    code: str,
    now: datetime,
) -> None:
    """Delete a border area, crossing point or authority (`part`) where nothing refers to it
    and the agreement has issued no permit."""
    principal = require(principal, Action.ADMINISTER)
    agreement = _agreement(session, agreement_code)
    if part not in DELETABLE:
        raise AgreementError(NO_SUCH_THING)
    row = _own(session, DELETABLE[part]["model"], agreement, code)
    before = _delete(session, agreement, row)
    _record(
        session,
        principal,
        action=DELETABLE[part]["action"],
        row=row,
        agreement=agreement,
        before=before,
        after={},
        now=now,
    )
