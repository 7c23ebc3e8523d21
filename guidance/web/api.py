"""The JSON API for municipal case systems. Errors are RFC 9457 problem JSON.

Each request carries a municipality's bearer token (created by an admin, stored hashed);
a token sees and creates only its own municipality's referrals. A POST may carry an
Idempotency-Key: a retry with the same key and body answers with the first result.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math

from flask import Blueprint, g, jsonify, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from pydantic import ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import selectinload

from guidance.extensions import csrf, db, limiter
from guidance.models import Municipality, Participant, Referral, ReferralStatus, Session
from guidance.services import api_tokens, referrals
from guidance.services.errors import DomainError
from guidance.services.referral_reading import next_booked_sessions, shown_statuses
from guidance.services.referrals import ReferralData
from guidance.web import api_schema
from guidance.web import rate_limits
from guidance.web.problem import problem

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer tokens, not cookies, authenticate the API: CSRF does not apply.
csrf.exempt(bp)


@bp.after_request
def _no_store(response):
    """API answers carry names and phones: no shared or browser cache may keep them."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["Content-Language"] = str(get_locale() or "en")[:2]   # English unless nb or nn was asked for
    return response

MAX_ID = 2**31 - 1
MAX_PAGE = 100_000  # keeps OFFSET inside what every database accepts  # beyond a database integer: cannot exist, and must not reach the database

# ReferralData attribute -> the API's field path
PATHS = {
    "name": "participant.name", "phone": "participant.phone", "municipality_id": "participant.municipality",
    "language": "participant.language", "needs_interpreter": "participant.needs_interpreter",
    "video_ok": "participant.video_ok", "needs_step_free": "participant.needs_step_free",
    "accessibility_needs": "participant.accessibility_needs",
}


@bp.get("/health")
def health():
    """Readiness for load balancers: 200 only when the database answers; reveals nothing else."""
    try:
        db.session.execute(text("SELECT 1"))
    except DBAPIError:
        db.session.rollback()
        response = problem(503, "Service Unavailable", "The database cannot be reached.", type_="unavailable")
        response.headers["Cache-Control"] = "no-store"
        return response
    db.session.rollback()
    response = jsonify({"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document, generated from the pydantic models."""
    return jsonify(api_schema.document())


def _token_bucket() -> str:
    return f"api-token:{g.api_token.id}"


# One budget shared by every API route (a limit per route would multiply it by their number).
_token_limit = limiter.shared_limit(rate_limits.configured("API_RATE_LIMIT"), scope="api-token",
                                    key_func=_token_bucket)


def _authenticated(view):
    """Bearer-token authentication, then the token's own rate limit (API_RATE_LIMIT): one
    bucket per token, so municipalities behind one address do not share it."""
    from functools import wraps

    @wraps(view)
    def counted(*args, **kwargs):   # let in by the limit: the token's use is recorded (a refused request writes nothing)
        api_tokens.mark_used(g.api_token)
        return view(*args, **kwargs)

    limited = _token_limit(counted)

    @wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _space, value = header.partition(" ")
        token = api_tokens.authenticate(value.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            response = problem(401, _("Unauthorized"), _("Send a valid, unrevoked token as 'Authorization: Bearer <token>'."),
                               type_="unauthorized")
            response.headers["WWW-Authenticate"] = 'Bearer realm="veiled"'
            return response
        g.api_token = token
        return limited(*args, **kwargs)

    return wrapped


@bp.errorhandler(429)
def too_many_requests(_error):
    return problem(429, _("Too many requests"),
                   _("This token has sent more requests than its limit allows. Retry after the number of seconds "
                     "in the Retry-After header; nothing in the refused request was stored."), type_="rate_limited")


@bp.post("/referrals")
@_authenticated
def create_referral():
    token = g.api_token
    if request.mimetype != "application/json":
        return problem(415, _("Unsupported Media Type"), _("Send the referral as application/json."),
                       type_="unsupported-media-type")
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key) <= 200 and key.isascii() and key.isprintable()):
        return _invalid([{"path": "header.Idempotency-Key", "message": "1 to 200 printable ASCII characters."}])
    try:
        payload = json.loads(request.get_data(cache=False), parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep to read
        return problem(400, _("Malformed JSON"), _("The request body is not valid JSON."), type_="malformed-json")
    try:
        body = api_schema.ReferralIn.model_validate(payload)
    except ValidationError as error:
        # Every problem at once: the schema's, and the rules the readable rest breaks (an unknown language came
        # back only once the name and the dates were right).
        errors = [{"path": ".".join(str(part) for part in e["loc"]) or "(body)", "message": api_schema.message_of(e)}
                  for e in error.errors(include_url=False)]
        if not isinstance(payload, dict):
            return _invalid(errors)
        readable = api_schema.readable_part(payload, {tuple(e["loc"]) for e in error.errors(include_url=False)})
        return _invalid(errors + _rule_errors(_data_of(readable), readable, token, {e["path"] for e in errors}))
    data = _data_of(body)
    if _window_errors(body):
        return _invalid(_rule_errors(data, body, token, set()))
    # The fingerprint is of the body as understood, so key order and spacing do not matter.
    fingerprint = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    try:
        result = referrals.submit_referral(
            None, data, referring=token.municipality, confirm_duplicate=body.confirm_duplicate,
            idempotency_key=key, fingerprint=fingerprint if key else None, via="api", token_id=token.id,
        )
    except referrals.IdempotencyConflict as error:
        db.session.rollback()
        return _invalid([{"path": "header.Idempotency-Key", "message": error.message}], title="Idempotency-Key reused",
                        type_="idempotency-key-reused")
    except referrals.DuplicateSuspected as error:
        db.session.rollback()
        # A machine has no box to tick: the answer names the field that sends it anyway.
        said = getattr(error, "because", error.message)
        return problem(409, _("Possible duplicate"), said + " " + _('Send the referral again with "confirm_duplicate": '
                                                                    'true if it is another person.'), type_="possible-duplicate",
                       errors=[{"path": "confirm_duplicate", "message": said}])
    except DomainError as error:
        db.session.rollback()
        return _invalid([{"path": PATHS.get(name, name), "message": m}
                         for name, messages in error.field_errors.items() for m in messages])
    response = jsonify(_referrals_json([result.referral])[0])
    response.status_code = 201 if result.created else 200
    response.headers["Location"] = url_for("api.get_referral", referral_id=result.referral.id)
    return response


@bp.get("/referrals")
@_authenticated
def list_referrals():
    token = g.api_token
    errors = []   # each wrong parameter named, not one sentence listing every rule

    def whole(name: str, default: int, high: int) -> int:
        try:
            value = int(request.args.get(name, default))
        except ValueError:
            value = 0
        if not 1 <= value <= high:
            errors.append({"path": f"query.{name}", "message": _("A whole number from 1 to %(high)d.", high=high)})
        return value

    page, per_page = whole("page", 1, MAX_PAGE), whole("per_page", 50, 100)
    status = request.args.get("status")
    if status is not None and status not in {s.value for s in ReferralStatus}:
        errors.append({"path": "query.status", "message": _("One of: %(values)s.", values=", ".join(
            s.value for s in ReferralStatus))})
    try:
        since = _instant(request.args.get("updated_since"))
    except ValueError:
        since = None
        errors.append({"path": "query.updated_since",
                       "message": _("An instant with its offset, like 2027-01-08T06:00:00Z.")})
    if errors:
        return problem(400, _("Bad query"), _("See errors for what to correct."), type_="bad-query", errors=errors)
    clauses = [Referral.referring_municipality_id == token.municipality_id]
    if status:
        clauses.append(Referral.status == status)
    if since is not None:
        # A case system follows its referrals by polling: `updated_at` moves with the referral's status and
        # details, and with a booking, a move or a cancellation of its sessions (referrals.booking_changed).
        clauses.append(Referral.updated_at >= since)
    total = db.session.scalar(select(func.count()).select_from(Referral).where(*clauses))
    rows = db.session.scalars(select(Referral).where(*clauses).order_by(Referral.id.desc())
                              .options(selectinload(Referral.participant).selectinload(Participant.municipality))
                              .offset((page - 1) * per_page).limit(per_page)).all()
    return jsonify({"items": _referrals_json(rows), "page": page, "per_page": per_page, "total": total,
                    "pages": max(1, math.ceil(total / per_page))})


@bp.get("/referrals/<int:referral_id>")
@_authenticated
def get_referral(referral_id: int):
    referral = db.session.get(Referral, referral_id) if referral_id <= MAX_ID else None
    # Another municipality's referral does not exist for this token (its existence is personal data).
    if referral is None or referral.referring_municipality_id != g.api_token.municipality_id:
        return problem(404, _("Not Found"), _("No such referral for this municipality."), type_="not-found")
    return jsonify(_referrals_json([referral])[0])


def _data_of(body) -> ReferralData:
    """The referral's answers as the intake reads them (`body`: a ReferralIn, or its readable part)."""
    participant = body.participant
    municipality = db.session.scalar(select(Municipality).where(Municipality.number == participant.municipality)) \
        if participant.municipality else None
    return ReferralData(
        name=participant.name, phone=participant.phone,
        municipality_id=municipality.id if municipality else -1,
        legal_basis=body.legal_basis, settlement_date=body.settlement_date,
        programme_decision_date=body.programme_decision_date, window_months=body.window_months,
        language=participant.language, needs_interpreter=participant.needs_interpreter,
        video_ok=participant.video_ok, needs_step_free=participant.needs_step_free,
        needs=list(body.needs) if body.needs is not None else None,
        earliest_date=body.earliest_date, accessibility_needs=participant.accessibility_needs,
        adviser_attends=body.adviser_attends, notes=body.notes,
        can_come_weekdays=list(body.can_come_weekdays or []), can_come_part=body.can_come_part,
    )


def _window_errors(body) -> list[dict]:
    """A window with another legal basis than the temporary act is refused: the intake drops it, and a case
    system that sent one for an Integration Act referral had it silently ignored."""
    if body.window_months is not None and body.legal_basis and body.legal_basis != "temporary_act":
        return [{"path": "window_months", "message": _("Only for the temporary act: leave it out for another legal basis.")}]
    return []


def _rule_errors(data: ReferralData, body, token, reported: set[str]) -> list[dict]:
    """The API's window rule and the intake's rules for `data` as API errors, leaving out the paths already
    `reported` (and those inside or around them)."""
    errors = _window_errors(body)
    for name, messages in referrals.check(data, referring=token.municipality).items():
        if name == "language":   # the form's "choose from the list": a case system has no list
            messages = [api_schema.unknown_language()]
        errors += [{"path": PATHS.get(name, name), "message": m} for m in messages]
    return [e for e in errors if not any(e["path"] == r or e["path"].startswith(r + ".") or r.startswith(e["path"] + ".")
                                         for r in reported)]


def _instant(text: str | None) -> dt.datetime | None:
    """An RFC 3339 instant of a query parameter, as UTC; ValueError for a naive or unreadable one."""
    if text is None:
        return None
    moment = dt.datetime.fromisoformat(text.strip().replace(" ", "+"))   # a "+" unencoded in a query reads as " "
    if moment.tzinfo is None:
        raise ValueError("an instant needs its offset")
    return moment.astimezone(dt.timezone.utc)


def _invalid(errors: list[dict], title: str | None = None, type_: str = "validation"):
    return problem(422, title or _("Invalid referral"), _("See errors for what to correct."), type_=type_, errors=errors)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _referrals_json(referrals: list[Referral]) -> list[dict]:
    """The referrals as the API shows them: their shown statuses and next sessions in one query each, not one per
    referral (a list page holds up to a hundred)."""
    shown, coming = shown_statuses(referrals), next_booked_sessions([r.id for r in referrals])
    return [_referral_json(r, shown[r.id], coming.get(r.id)) for r in referrals]


def _referral_json(referral: Referral, shown_status: str, session: Session | None) -> dict:
    p = referral.participant
    out = api_schema.ReferralOut(
        id=referral.id, reference=referral.reference, status=referral.status.value,
        shown_status=shown_status,
        legal_basis=referral.legal_basis.value, settlement_date=referral.settlement_date,
        programme_decision_date=referral.programme_decision_date, window_months=referral.window_months,
        deadline=referral.deadline, earliest_date=referral.earliest_date, needs=list(referral.needs),
        adviser_attends=referral.adviser_attends, notes=referral.notes, withdrawn_reason=referral.withdrawn_reason,
        can_come_weekdays=referral.can_come_weekdays, can_come_part=referral.can_come_part,
        created_at=referral.created_at, updated_at=referral.updated_at,
        participant=api_schema.ParticipantOut(
            name=p.name, phone=p.phone, municipality=p.municipality.number, language=p.language,
            needs_interpreter=p.needs_interpreter, video_ok=p.video_ok, needs_step_free=p.needs_step_free,
            accessibility_needs=p.accessibility_needs,
        ),
        next_session=api_schema.SessionOut(start=session.start, end=session.end, location=session.location.name,
                                           mode=session.mode) if session else None,
    )
    return out.model_dump(mode="json")



