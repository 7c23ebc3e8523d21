"""The API's bodies as pydantic models, and the OpenAPI 3.1 document generated from them."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

Basis = Literal["integration_act", "temporary_act", "ordinary"]
Need = Literal["individual", "group"]
PartOfDay = Literal["morning", "afternoon"]  # planning/wish.py PARTS_OF_DAY
Status = Literal["received", "planned", "booked", "completed", "note_shared", "withdrawn", "no_show"]
# What the centre's pages show (referral_reading.shown_statuses): the stored status, except a booked referral
# whose sessions are over and wait for the outcome, or whose next kind of guidance is not booked yet.
ShownStatus = Literal["received", "planned", "booked", "awaiting_outcome", "waiting_next", "completed",
                      "note_shared", "withdrawn", "no_show"]


class ParticipantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, description="Full name.")
    phone: str | None = Field(None, max_length=40, description="Contact phone, e.g. +47 400 00 000.")
    municipality: str = Field(pattern=r"^[0-9]{4}$", description="Home municipality number: the token's own, or one in its county.")
    language: str = Field(pattern=r"^[a-z]{2,3}$", description="ISO 639-1 code, or ISO 639-3 where none exists (prs, kmr, ckb).")
    needs_interpreter: bool = True
    video_ok: bool = Field(False, description="The participant can take a session by video.")
    needs_step_free: bool = Field(False, description="The participant cannot use stairs: on site only at step-free locations.")
    accessibility_needs: str | None = Field(None, max_length=2000)


class ReferralIn(BaseModel):
    """A referral as a case system sends it."""

    model_config = ConfigDict(extra="forbid")
    participant: ParticipantIn
    legal_basis: Basis
    settlement_date: dt.date | None = Field(None, description="Required under the integration act.")
    programme_decision_date: dt.date | None = Field(None, description="Expected date of the programme decision.")
    window_months: int | None = Field(None, ge=1, le=12, description="Temporary act only: the needs-based window (default 3).")
    needs: list[Need] | None = Field(None, min_length=1, max_length=2,
                                     description="Default: both under the acts, individual for ordinary guidance.")
    earliest_date: dt.date | None = Field(None, description="Default: today.")
    adviser_attends: bool = False
    can_come_weekdays: list[Literal[1, 2, 3, 4, 5]] | None = Field(
        None, max_length=5, description="ISO weekdays the participant can come (a course, a job); null: any working day.")
    can_come_part: PartOfDay | None = Field(None, description="morning: sessions end by 12:00; afternoon: they start at "
                                                               "12:00 or later; null: any time of day.")
    notes: str | None = Field(None, max_length=5000)
    confirm_duplicate: bool = Field(False, description="Send even if the same participant was referred in the last six months.")


class ParticipantOut(BaseModel):
    name: str
    phone: str | None
    municipality: str
    language: str
    needs_interpreter: bool
    video_ok: bool
    needs_step_free: bool
    accessibility_needs: str | None


class SessionOut(BaseModel):
    start: dt.datetime
    end: dt.datetime
    location: str
    mode: str


class ReferralOut(BaseModel):
    id: int
    reference: str = Field(description="Pseudonymous reference, safe in e-mails and calendars.")
    status: Status
    shown_status: ShownStatus = Field(description=(
        "The status as the centre's pages show it: the same as status, except for a booked referral "
        "whose booked sessions are over and wait for the counsellor's outcome (awaiting_outcome), or whose "
        "sessions are held and the next kind of guidance is not booked yet (waiting_next)."))
    legal_basis: Basis
    settlement_date: dt.date | None
    programme_decision_date: dt.date | None
    window_months: int | None
    deadline: dt.date | None = Field(description="The effective legal deadline; null for ordinary guidance.")
    earliest_date: dt.date
    needs: list[Need]
    adviser_attends: bool
    can_come_weekdays: list[int] | None = Field(description="ISO weekdays the participant can come; null: any working day.")
    can_come_part: PartOfDay | None
    notes: str | None
    withdrawn_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    participant: ParticipantOut
    next_session: SessionOut | None


class ReferralPage(BaseModel):
    items: list[ReferralOut]
    page: int
    per_page: int
    total: int
    pages: int


class FieldError(BaseModel):
    path: str = Field(description="Dotted path of the field, e.g. participant.language.")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None


def _problem(description: str) -> dict:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _json(ref: str, description: str, headers: dict | None = None) -> dict:
    answer = {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}
    if headers:
        answer["headers"] = headers
    return answer


def document() -> dict:
    """OpenAPI 3.1: JSON Schema 2020-12 is its schema dialect, so pydantic's schemas fit unchanged."""
    _refs, top = models_json_schema(
        [(ReferralIn, "validation"), (ReferralOut, "serialization"), (ReferralPage, "serialization"),
         (Problem, "serialization")],
        ref_template="#/components/schemas/{model}",
    )
    unauthorized = _problem("No valid, unrevoked bearer token.")
    limited = _problem("The token's rate limit is reached; retry after Retry-After seconds. Nothing was stored.")
    limited["headers"] = {"Retry-After": {"description": "Seconds until the token may send again.",
                                          "schema": {"type": "integer"}}}
    location = {"Location": {"description": "The referral's URL.", "schema": {"type": "string"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Veiled referral API", "version": "1.0.0",
                 "description": "Municipal case systems send referrals to career guidance and follow their status. "
                                "Each bearer token acts for one municipality. Errors are RFC 9457 problem details; a "
                                "refused referral lists every problem found at once, each with its field path. Error "
                                "messages are in English, or in Norwegian when Accept-Language asks for nb or nn."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/referrals": {
                "post": {
                    "operationId": "createReferral",
                    "summary": "Send a referral",
                    "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                    "description": "Retrying with the same key and body returns the first result (200).",
                                    "schema": {"type": "string", "minLength": 1, "maxLength": 200}}],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReferralIn"}}}},
                    "responses": {
                        "201": _json("ReferralOut", "Created.", location),
                        "200": _json("ReferralOut", "A retry with the same Idempotency-Key: the first result.", location),
                        "400": _problem("The body is not JSON."),
                        "401": unauthorized,
                        "409": _problem("The same participant was referred recently; resend with confirm_duplicate."),
                        "413": _problem("The body is too large."),
                        "415": _problem("The body is not application/json."),
                        "422": _problem("A field is wrong (see errors), or the Idempotency-Key was used with another body."),
                        "429": limited,
                    },
                },
                "get": {
                    "operationId": "listReferrals",
                    "summary": "The municipality's referrals, newest first",
                    "parameters": [
                        {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1}},
                        {"name": "per_page", "in": "query", "required": False,
                         "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}},
                        {"name": "status", "in": "query", "required": False,
                         "schema": {"type": "string", "enum": list(Status.__args__)}},
                        {"name": "updated_since", "in": "query", "required": False,
                         "description": "Only referrals whose status, details or sessions changed at or after this "
                                        "instant (RFC 3339, with its offset, e.g. 2027-01-08T06:00:00Z). Poll with the "
                                        "time of your previous request.",
                         "schema": {"type": "string", "format": "date-time"}},
                    ],
                    "responses": {"200": _json("ReferralPage", "One page of referrals."), "400": _problem("A bad query parameter."),
                                  "401": unauthorized, "429": limited},
                },
            },
            "/api/v1/referrals/{referral_id}": {
                "get": {
                    "operationId": "getReferral",
                    "summary": "One referral with its status and next session",
                    "parameters": [{"name": "referral_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}],
                    "responses": {"200": _json("ReferralOut", "The referral."), "401": unauthorized,
                                  "404": _problem("No such referral for this municipality."), "429": limited},
                },
            },
        },
        "components": {
            "schemas": top["$defs"],
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "A token an administrator created for the municipality."}},
        },
    }


# -- errors in the API's words, and what of a refused body can still be read ---------------------------------

def message_of(error: dict) -> str:
    """A pydantic error's message through the translation layer (English unless the request asks for
    Norwegian): pydantic's own texts are English only, and beside the intake's Norwegian rules they read as two
    systems answering."""
    from flask_babel import gettext as _

    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return _("Required.")
    if kind == "extra_forbidden":
        return _("Not a field of this object: see the API document.")
    if kind == "string_too_short":
        return _("Must not be empty.")
    if kind == "string_too_long":
        return _("At most %(num)s characters.", num=ctx.get("max_length"))
    if kind == "string_pattern_mismatch" and tuple(error["loc"]) == ("participant", "language"):
        return unknown_language()   # "dari" against a regular expression said nothing a developer could use
    if kind == "string_pattern_mismatch":
        return _("Not in the documented form (%(pattern)s).", pattern=ctx.get("pattern"))
    if kind == "literal_error":
        return _("One of: %(values)s.", values=", ".join(_literal_values(error["loc"])) or ctx.get("expected", ""))
    if kind.startswith("date_"):
        return _("A date as YYYY-MM-DD.")
    if kind.startswith("bool_"):
        return _("true or false.")
    if kind.startswith("int_"):
        return _("A whole number.")
    if kind == "greater_than_equal":
        return _("At least %(num)s.", num=ctx.get("ge"))
    if kind == "less_than_equal":
        return _("At most %(num)s.", num=ctx.get("le"))
    if kind == "string_type":
        return _("A text string.")
    if kind in ("too_short", "too_long", "list_type"):
        return _("A list of %(min)s to %(max)s items.", min=1, max=2)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _("An object.")
    return error["msg"]


def unknown_language() -> str:
    from flask_babel import gettext as _

    return _("Unknown language code: use the ISO 639-1 code, or ISO 639-3 where there is none (prs for Dari, kmr for "
             "Kurmanji, ckb for Sorani).")


def _literal_values(loc: tuple) -> tuple[str, ...]:
    from typing import get_args

    return get_args({"legal_basis": Basis, "needs": Need}.get(str(loc[0]) if loc else "", str))


def readable_part(payload, refused: set[tuple]):
    """The fields of a refused body that are valid on their own, each as ReferralIn would give it, and the
    model's default in place of a refused or missing one: the intake's rules judge the rest of the referral."""
    from types import SimpleNamespace

    from pydantic import TypeAdapter, ValidationError
    from typing import Annotated

    def part(model, raw, prefix: tuple):
        raw = raw if isinstance(raw, dict) else {}
        values = {}
        for name, info in model.model_fields.items():
            loc = prefix + (name,)
            default = None if info.is_required() else info.get_default(call_default_factory=True)
            if any(loc[:len(r)] == r for r in refused) or name not in raw:   # it, or what holds it, refused
                values[name] = default
                continue
            if name == "participant":
                values[name] = part(ParticipantIn, raw[name], loc)
                continue
            try:
                values[name] = TypeAdapter(Annotated[info.annotation, info]).validate_python(raw[name])
            except ValidationError:
                values[name] = default
        if model is ReferralIn and values.get("participant") is None:
            values["participant"] = part(ParticipantIn, {}, ("participant",))
        return SimpleNamespace(**values)

    return part(ReferralIn, payload, ())
