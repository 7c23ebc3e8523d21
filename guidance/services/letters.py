"""Summons letters: one printable letter per participant and booked session ahead (issue 27).

A letter is in Norwegian (the referring municipality's written form, rules.language) and, on the
next page, in the participant's language when a catalogue for it exists. The letter's words live in
one catalogue per language under `guidance/letters/<code>.po` (msgid: the English text; msgstr: the
translation), so a person can review and extend them without touching code (docs/letters.md).

The PDF embeds DejaVu Sans (Latin, Cyrillic), Noto Sans Arabic (Arabic, Dari, Persian, Pashto, Sorani)
and Noto Sans Ethiopic (Tigrinya). fpdf2's own drawing neither joins Arabic letters nor orders
right-to-left text, so a line is shaped with `arabic_reshaper` (contextual letter forms) and put in
visual order with fpdf2's Unicode bidi algorithm, after the line breaks are chosen. Pashto and Sorani
letters have no presentation forms to reshape into: their pages go through HarfBuzz instead
(`SHAPED_BY_HARFBUZZ`).
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from guidance.clock import OSLO
from guidance.extensions import db
from guidance.models import (
    AuditEvent,
    BookingStatus,
    LetterPrinted,
    Municipality,
    Referral,
    Role,
    Session,
    SessionParticipant,
    SessionStatus,
)
from guidance.models.types import utcnow
from guidance.rules.language import for_municipality
from guidance.services import audit
from guidance.services import calendar as cal
from guidance.services.referral_reading import MOVES

FONTS = Path(__file__).resolve().parent.parent / "fonts"
CATALOGUES = Path(__file__).resolve().parent.parent / "letters"

# Letter language (catalogue name) -> Babel locale for dates and language names.
LOCALES = {"nb": "nb", "nn": "nn", "en": "en_GB", "uk": "uk", "ar": "ar", "ti": "ti", "prs": "fa_AF", "so": "so",
           "ru": "ru", "fa": "fa", "ps": "ps", "ckb": "ckb", "kmr": "ku", "fr": "fr", "sw": "sw", "tr": "tr",
           "am": "am"}
NORWEGIAN = ("nb", "nn")
RIGHT_TO_LEFT = {"ar", "prs", "fa", "ps", "ckb"}
# Pashto and Sorani use letters with no Unicode presentation forms (ښ ځ ګ ټ, ڵ ێ ڕ), so arabic_reshaper
# leaves them unjoined: their pages are shaped by HarfBuzz (fpdf2's text shaping), which also orders
# the line right to left. Language tags as OpenType names them.
SHAPED_BY_HARFBUZZ = {"ps": "PAS", "ckb": "KUR"}
# Letters in one download, made inside the request: 50 two-page letters take about 1 s of CPU, so 100
# stay near 2 s; a municipality with more gets several downloads (parts_for_municipality).
MAX_LETTERS = 100

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


class _NoGlyphsInLogs(logging.Filter):
    """fpdf2 logs the characters a font lacks: in a letter they come from names and addresses, which never
    go into logs. The warning stays, without the characters."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "missing the following glyphs" in str(record.msg):
            record.msg, record.args = "A letter has characters that no embedded font covers (not logged).", ()
        return True


logging.getLogger("fpdf.output").addFilter(_NoGlyphsInLogs())


# --- Catalogues -------------------------------------------------------------------------------

def languages() -> list[str]:
    """The letter languages that have a catalogue (file names, without .po)."""
    return sorted(p.stem for p in CATALOGUES.glob("*.po"))


@functools.cache
def catalogue(code: str) -> dict[str, str]:
    """msgid -> msgstr of one language's catalogue (empty translations left out)."""
    from babel.messages.pofile import read_po

    with open(CATALOGUES / f"{code}.po", "rb") as handle:
        parsed = read_po(handle)
    return {m.id: m.string for m in parsed if m.id and m.string}


def translator(code: str, strict: bool = False):
    """A gettext for the letter in `code`: the catalogue's text, else the English msgid (`strict`:
    a missing entry raises KeyError, for the catalogue tests)."""
    words = catalogue(code)

    def gettext(msgid: str, **values) -> str:
        if strict and msgid not in words:
            raise KeyError(f"{code}.po lacks {msgid!r}")
        text = words.get(msgid) or msgid
        return text % values if values else text

    return gettext


def language_name(code: str, in_language: str) -> str:
    """The name of language `code` written in the letter language `in_language`."""
    named = catalogue(in_language).get(_LANGUAGE_MSGIDS.get(code, "-")) or _NAMED.get((code, in_language))
    if named:
        return named
    names = Locale.parse(LOCALES.get(in_language, "en")).languages
    name = names.get(code) or names.get(_CLDR_CODES.get(code, "-"))
    return name if name else code


# CLDR has no name for Kurmanji (ISO 639-3 kmr) but names Kurdish (ku), which is what it means to
# its speakers: "a tolk på kmr" reached a participant's letter.
_CLDR_CODES = {"kmr": "ku"}

# Names CLDR gives too broadly for a letter: "an interpreter in Kurdish" did not say which of the two the referrer
# was to book, and the pages say Kurmanji (Sorani, ckb, has its own name).
_NAMED = {("kmr", "nb"): "kurmanji", ("kmr", "nn"): "kurmanji", ("kmr", "en"): "Kurmanji"}

# The language names every catalogue carries (the participant languages with a letter).
_LANGUAGE_MSGIDS = {"nb": "Norwegian", "nn": "Norwegian", "en": "English", "uk": "Ukrainian", "ar": "Arabic",
                    "ti": "Tigrinya", "prs": "Dari", "so": "Somali"}


def second_language(participant_language: str | None) -> str | None:
    """The participant's letter language when a catalogue exists (never a second Norwegian page)."""
    code = (participant_language or "").lower()
    if code in ("no", *NORWEGIAN) or code not in LOCALES or not (CATALOGUES / f"{code}.po").exists():
        return None
    return code


def unreviewed(participant_language: str | None) -> str | None:
    """The participant's letter language when its catalogue is marked NOT YET REVIEWED (written without a certified
    translator), else None: the referrer hands the letter over knowing so. A translator's review removes the mark
    from the catalogue's header (docs/letters.md)."""
    code = second_language(participant_language)
    if code is None:
        return None
    with open(CATALOGUES / f"{code}.po", encoding="utf-8") as handle:
        header = "".join(line for line in handle if line.startswith("#") or not line.strip() or line.startswith("msg"))
    return code if "NOT YET REVIEWED" in header.split('msgid ""', 1)[0] else None


def untranslated(participant_language: str | None) -> str | None:
    """The participant's language when their letter has no page in it (Norwegian only), else None:
    the referrer is told to go through the letter with them."""
    code = (participant_language or "").lower()
    if not code or code in ("no", *NORWEGIAN) or second_language(code):
        return None
    return code


# --- Which letters ----------------------------------------------------------------------------

def _booked_ahead():
    return (
        select(SessionParticipant.referral_id, Session)
        .join(Session, Session.id == SessionParticipant.session_id)
        .where(Session.status == SessionStatus.BOOKED, Session.start >= utcnow())
        .order_by(Session.start, Session.id, SessionParticipant.referral_id)
        .options(joinedload(Session.location), joinedload(Session.room), selectinload(Session.bookings))
    )


def _pairs(rows) -> list[tuple[Referral, Session]]:
    ids = {referral_id for referral_id, _session in rows}
    if not ids:
        return []
    referrals = {r.id: r for r in db.session.scalars(
        select(Referral).where(Referral.id.in_(ids))
        .options(selectinload(Referral.participant), selectinload(Referral.referred_by),
                 selectinload(Referral.referring_municipality).selectinload(Municipality.county)))}
    return [(referrals[referral_id], session) for referral_id, session in rows]


def letters_for_referral(referral: Referral) -> list[tuple[Referral, Session]]:
    """The referral's booked sessions from now on, earliest first: one letter each."""
    return _pairs(db.session.execute(_booked_ahead().where(SessionParticipant.referral_id == referral.id)).all())


def letters_for_municipality(municipality: Municipality) -> list[tuple[Referral, Session]]:
    """Every booked session ahead of the referrals the municipality sent: one letter per participant."""
    stmt = (_booked_ahead().join(Referral, Referral.id == SessionParticipant.referral_id)
            .where(Referral.referring_municipality_id == municipality.id))
    return _pairs(db.session.execute(stmt).all())


def _not_printed():
    """The letter of this row's participant and session, as the session's time stands, was never downloaded by
    their municipality's referrer (a moved session's new time is a new letter)."""
    return ~exists().where(LetterPrinted.referral_id == SessionParticipant.referral_id,
                           LetterPrinted.session_uid == Session.uid, LetterPrinted.session_start == Session.start)


def _referred_by(referrer_id: int | None) -> list:
    """Only the referrals one adviser sent (a municipality of many advisers: one's download had emptied the list
    for the others, who were left without their participants' letters)."""
    return [Referral.referred_by_id == referrer_id] if referrer_id is not None else []


def letters_not_printed(municipality: Municipality, referred_by: int | None = None) -> list[tuple[Referral, Session]]:
    """The municipality's letters for booked sessions ahead that its referrers have not downloaded yet (only those
    of `referred_by`'s referrals when given)."""
    stmt = (_booked_ahead().join(Referral, Referral.id == SessionParticipant.referral_id)
            .where(Referral.referring_municipality_id == municipality.id, _not_printed(), *_referred_by(referred_by)))
    return _pairs(db.session.execute(stmt).all())


def not_printed_count(municipality: Municipality, referred_by: int | None = None) -> int:
    return db.session.scalar(
        select(func.count()).select_from(SessionParticipant)
        .join(Session, Session.id == SessionParticipant.session_id)
        .join(Referral, Referral.id == SessionParticipant.referral_id)
        .where(Session.status == SessionStatus.BOOKED, Session.start >= utcnow(),
               Referral.referring_municipality_id == municipality.id, _not_printed(), *_referred_by(referred_by))) or 0


def letters_for_sessions(wanted: list[tuple[int, int]]) -> list[tuple[Referral, Session]]:
    """The letters of these (referral id, session id) pairs whose session is still booked ahead, earliest first."""
    if not wanted:
        return []
    rows = db.session.execute(_booked_ahead().where(Session.id.in_({s for _r, s in wanted}),
                                                    SessionParticipant.referral_id.in_({r for r, _s in wanted}))).all()
    keep = set(wanted)
    return _pairs([(referral_id, session) for referral_id, session in rows if (referral_id, session.id) in keep])


# --- Use cases (audited, one transaction each) ---------------------------------------------------

def referral_letters(actor, referral: Referral) -> tuple[bytes, int]:
    """The letters of one referral as one PDF, and how many; the download is audited (no names)."""
    return _download(actor, letters_for_referral(referral), referral, {})


def municipality_letters(actor, municipality: Municipality, part: int = 1) -> tuple[bytes, int]:
    """The letters for the booked sessions ahead of a municipality's referrals, as one PDF of at most
    MAX_LETTERS letters: `part` 1 holds the earliest sessions, part 2 the next MAX_LETTERS, ..."""
    pairs = letters_for_municipality(municipality)[(part - 1) * MAX_LETTERS:part * MAX_LETTERS] if part >= 1 else []
    return _download(actor, pairs, municipality, {"part": part})


def new_letters(actor, municipality: Municipality, part: int = 1, mine: bool = False) -> tuple[bytes, int]:
    """The letters not printed yet (`letters_not_printed`; with `mine`, of the actor's own referrals), as one PDF
    of at most MAX_LETTERS, the earliest sessions first. Downloading one part records its letters as printed: the
    next part is then part 1."""
    pending = letters_not_printed(municipality, actor.id if mine else None)
    pairs = pending[(part - 1) * MAX_LETTERS:part * MAX_LETTERS] if part >= 1 else []
    return _download(actor, pairs, municipality, {"new": True, "part": part, **({"mine": True} if mine else {})})


def session_letters(actor, wanted: list[tuple[int, int]], about, part: int = 1, which: str = "moved") -> tuple[bytes, int]:
    """The letters of these (referral id, session id) pairs, as one PDF of at most MAX_LETTERS (`part` 1 the
    earliest sessions, 2 the next MAX_LETTERS, ...): `which` "moved", the sessions the centre moved lately,
    whose new time the referrer hands each participant; "to_tell", those the lead sends themselves. Audited
    against `about` (the municipality or county), without names."""
    pairs = letters_for_sessions(wanted)[(part - 1) * MAX_LETTERS:part * MAX_LETTERS] if part >= 1 else []
    return _download(actor, pairs, about, {which: True, "part": part})


def _download(actor, pairs: list[tuple[Referral, Session]], about, detail: dict) -> tuple[bytes, int]:
    """One PDF of these letters and how many; the download audited against `about`, by count (no names)."""
    if not pairs:
        return b"", 0
    body = render(pairs)
    audit.record(actor, "letters.downloaded", about, {"letters": len(pairs), **detail})
    if actor is not None and actor.role is Role.REFERRER:
        # The referrer has these letters now (the centre's own downloads, to look or to post, do not count).
        record_printed(((referral.id, session.uid, session.start) for referral, session in pairs), actor.id)
    db.session.commit()
    return body, len(pairs)


def printed(referral_ids) -> set[tuple[int, str, dt.datetime]]:
    """(referral id, session uid, session start) of these referrals' letters their referrers have downloaded."""
    return set(db.session.execute(
        select(LetterPrinted.referral_id, LetterPrinted.session_uid, LetterPrinted.session_start)
        .where(LetterPrinted.referral_id.in_(set(referral_ids)))).all())


def record_printed(keys, printed_by_id: int | None = None, at: dt.datetime | None = None) -> None:
    """In the caller's transaction: these (referral id, session uid, session start) letters are printed; one
    already recorded is kept once."""
    keys = list(keys)
    already = printed({referral_id for referral_id, _uid, _start in keys})
    for key in keys:
        if key not in already:
            already.add(key)
            referral_id, uid, start = key
            db.session.add(LetterPrinted(referral_id=referral_id, session_uid=uid, session_start=start,
                                         printed_by_id=printed_by_id, printed_at=at or utcnow()))


@dataclass
class Part:
    number: int
    first: int
    last: int
    total: int


def parts_for_municipality(municipality: Municipality) -> list[Part]:
    """How the municipality's letters are split into downloads of at most MAX_LETTERS (empty: none)."""
    total = db.session.scalar(
        select(func.count()).select_from(SessionParticipant)
        .join(Session, Session.id == SessionParticipant.session_id)
        .join(Referral, Referral.id == SessionParticipant.referral_id)
        .where(Session.status == SessionStatus.BOOKED, Session.start >= utcnow(),
               Referral.referring_municipality_id == municipality.id)) or 0
    return parts_of(total)


def parts_of(total: int) -> list[Part]:
    """`total` letters as downloads of at most MAX_LETTERS each (empty: none)."""
    return [Part(number, (number - 1) * MAX_LETTERS + 1, min(number * MAX_LETTERS, total), total)
            for number in range(1, (total + MAX_LETTERS - 1) // MAX_LETTERS + 1)]


# --- The letter ---------------------------------------------------------------------------------

@dataclass
class Facts:
    """What one letter says, independent of its language."""

    reference: str
    name: str
    sender: str
    session_type: str
    start: dt.datetime  # Europe/Oslo
    end: dt.datetime
    video: bool
    video_link: str | None  # the counsellor's meeting room, for a video session
    location: str
    address: str | None
    room: str | None
    directions: str | None
    step_free: bool
    interpreter_language: str | None
    interpreter_mode: str | None
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    municipality: str
    norwegian: str
    second: str | None
    # The times earlier letters gave, when the centre has moved the session since (or booked it instead of a
    # cancelled one), oldest first: the participant may hold any of them, and two letters that look alike sent
    # people on the old day. After two moves the letter named the first time while the participant held the
    # second's letter.
    replaces: tuple[dt.datetime, ...] = ()
    # One of those letters named another place: "new time" alone hid a move from Bergen to Voss.
    new_place: bool = False
    # The centre's phone number, under its name at the top (the letterhead), when the lead gave one.
    sender_phone: str | None = None
    # The participant's language, when they need an interpreter and the counsellor speaks it: the letter said
    # nothing of an interpreter, and the participant phoned to ask whether one would come.
    counsellor_speaks: str | None = None


def move_events(session_ids) -> dict[int, list[AuditEvent]]:
    """The move events of these sessions, by session id, oldest first (one query for many sessions). A session's
    events are those of every row of its appointment (its calendar UID): a later publication that keeps a session
    publishes it again as a new row, and the letters printed after a sick day's repair plan had lost the moves
    the lead made before it ("this letter replaces..." was missing)."""
    ids_ = list(session_ids)
    out: dict[int, list[AuditEvent]] = {}
    if not ids_:
        return out
    uid_of = dict(db.session.execute(select(Session.id, Session.uid).where(Session.id.in_(ids_))).all())
    rows_of: dict[str, list[int]] = {}
    for row_id, uid in db.session.execute(select(Session.id, Session.uid).where(Session.uid.in_(set(uid_of.values())))):
        rows_of.setdefault(uid, []).append(row_id)
    wanted: dict[int, list[int]] = {}
    for requested, uid in uid_of.items():
        for row_id in rows_of.get(uid, [requested]):
            wanted.setdefault(row_id, []).append(requested)
    for event in db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "session", AuditEvent.object_id.in_(list(wanted)),
            AuditEvent.action.in_(MOVES)).order_by(AuditEvent.at, AuditEvent.id)):
        for requested in wanted[event.object_id]:
            out.setdefault(requested, []).append(event)
    return out


def moved_from(session: Session, referral_id: int, events: list[AuditEvent] | None = None) -> dt.datetime | None:
    """The participant's first start of this session before the centre moved it (Oslo time), if it was
    moved to another time: by the lead (`session.moved`, every member) or by a re-plan
    (`session.replanned`, on the new session, naming the participants it moved there). `events`: the
    session's move events when already read (`move_events`), else they are read here."""
    earlier = earlier_versions(session, referral_id, events)
    first = earlier[0][0] if earlier else None
    return first.astimezone(OSLO) if first is not None and first != session.start else None


def earlier_versions(session: Session, referral_id: int, events: list[AuditEvent] | None = None) \
        -> list[tuple[dt.datetime, int | None]]:
    """Every (start, location id) this participant's letters may have given for this session before its moves,
    oldest first (the location None when the event predates its record); the session as it is now left out."""
    from guidance.planning import ids

    if events is None:
        events = move_events([session.id]).get(session.id, [])
    out: list[tuple[dt.datetime, int | None]] = []
    for event in events:
        detail = json.loads(event.detail) if event.detail else {}
        if event.action == "session.replanned" and referral_id not in detail.get("referrals", []):
            continue   # others moved into this group; this participant's letter had this time already
        raw = detail.get("from")
        if not isinstance(raw, str):
            continue
        version = (ids.from_plan_minute(raw), detail.get("from_location"))
        if version not in out:
            out.append(version)
    return out


def cancelled_before(session: Session, referral_id: int) -> tuple[dt.datetime, int | None] | None:
    """The start (Oslo time) and location of this participant's latest session of the same kind that the centre
    cancelled, or took them out of (a group that went on without them), when this session is the one booked instead:
    each need is booked once at a time, so a booked session of a kind replaces every cancelled one. The participant
    may still hold that letter (a move's new letter said so; one booked after a cancellation looked like a second
    invitation, and one at the same time in another town read as the same session twice). Not a booking withdrawn
    with the referral or taken back at once: no letter went out for it."""
    from guidance.services.interpreter_bookings.changes import SYSTEM_CANCEL_REASONS
    from guidance.services.referral_reading import left_groups

    cancelled = db.session.execute(
        select(Session.id, Session.start, Session.location_id)
        .join(SessionParticipant, SessionParticipant.session_id == Session.id)
        .where(SessionParticipant.referral_id == referral_id, Session.status == SessionStatus.CANCELLED,
               Session.type == session.type, Session.id != session.id,
               func.coalesce(Session.cancel_reason, "").not_in(SYSTEM_CANCEL_REASONS))
        .order_by(Session.id.desc()).limit(1)).first()
    found = [(cancelled.id, cancelled.start, cancelled.location_id)] if cancelled is not None else []
    # A group the participant was taken out of (they could not come; the others kept it), with the time their
    # letter gave.
    for session_id, at in left_groups(referral_id):
        left = db.session.get(Session, session_id)
        if left is not None and left.type == session.type and left.id != session.id and at is not None:
            found.append((left.id, at, left.location_id))
            break
    if not found:
        return None
    _id, start, place = max(found)   # the later booking of the two is the one this session replaces
    if (start, place) == (session.start, session.location_id):
        return None
    return start.astimezone(OSLO), place


def _contact(referrer, location) -> dict:
    """Whom the participant calls when they cannot come: their referrer; without one in Veiled (a
    municipality with no account, or the adviser left), the career centre itself, by its phone and
    e-mail. The letter sent them to "the introduction programme in Samnanger", where nobody could move the
    session in Veiled."""
    if referrer is not None and referrer.active:
        return {"contact_name": referrer.name, "contact_phone": referrer.phone, "contact_email": referrer.email}
    centre = location.centre if location is not None else None
    if centre is not None and (centre.phone or centre.email):
        return {"contact_name": centre.name, "contact_phone": centre.phone, "contact_email": centre.email}
    return {"contact_name": None, "contact_phone": None, "contact_email": None}


def _replaced(session: Session, referral_id: int) -> dict:
    """What the letter replaces: the letters the participant may hold for this session, by their times (the first
    letter's, and any later one their referrer printed: after two moves the letter named a time no letter had
    given), or the cancelled booking this one replaces; and whether one of them gave another place."""
    versions = earlier_versions(session, referral_id)
    if not versions and (cancelled := cancelled_before(session, referral_id)) is not None:
        versions = [cancelled]
    elif versions:
        handed = {start for referral, uid, start in printed([referral_id]) if referral == referral_id and uid == session.uid}
        versions = versions[:1] + [v for v in versions[1:] if v[0] in handed]
    here = session.location_id
    versions = [(start, place) for start, place in versions if (start, place) != (session.start, here)
                and not (start == session.start and place is None)][-3:]
    times = tuple(dict.fromkeys(start.astimezone(OSLO) for start, _place in versions))
    moved_place = session.mode != "video" and any(place is not None and place != here for _start, place in versions)
    return {"replaces": times, "new_place": moved_place}


def facts(referral: Referral, session: Session) -> Facts:
    contact = referral.referred_by
    location = session.location
    # The interpreter's language and how they take part (never who): from the live request; how only
    # once the interpreter has said yes. A request not yet answered, declined or expired is still
    # getting one ("we are arranging"): a letter printed before the answer promised "by phone". One the
    # centre arranged outside Veiled is settled: how they take part is the lead's record of it.
    active = [b for b in session.bookings if b.status in (BookingStatus.REQUESTED, BookingStatus.ACCEPTED)]
    accepted = [b for b in active if b.status is BookingStatus.ACCEPTED]
    outside = bool(session.outside_interpreter)
    language = active[-1].language if active else session.language
    # Only this participant's interpreter: in a group of several languages the session's interpreter
    # may be for someone else (the counsellor speaks this participant's language, or they need none),
    # and "a Sorani interpreter" in an Arabic speaker's letter tells them they will not understand.
    person = referral.participant
    interpreted = ((session.interpreter_id is not None or bool(active) or outside)
                   and person.needs_interpreter and language == person.language)
    mode = session.outside_interpreter_mode if outside else accepted[-1].mode if accepted else "arranging"
    return Facts(
        reference=referral.reference, name=referral.participant.name,
        sender=location.centre.name if location is not None else "",
        session_type=session.type, start=session.start.astimezone(OSLO), end=session.end.astimezone(OSLO),
        video=session.mode == "video",
        video_link=cal.video_link(session) if session.mode == "video" else None,
        location=location.name, address=location.address,
        room=session.room.name if session.room is not None else None, directions=location.directions,
        step_free=bool(location.step_free),
        interpreter_language=language if interpreted else None,
        interpreter_mode=mode if interpreted else None,
        **_contact(contact, location),
        municipality=referral.referring_municipality.name,
        norwegian=for_municipality(referral.referring_municipality),
        second=second_language(referral.participant.language),
        **_replaced(session, referral.id),
        sender_phone=location.centre.phone if location is not None else None,
        counsellor_speaks=person.language if person.needs_interpreter and not interpreted and session.counsellor
        is not None and person.language in (session.counsellor.languages or []) else None,
    )


def paragraphs(f: Facts, code: str, strict: bool = False) -> list[tuple[str, str]]:
    """The letter in language `code` as (style, text) pairs: title, heading, text, label, item, small."""
    t = translator(code, strict)
    locale = LOCALES[code]
    out: list[tuple[str, str]] = [("small", isolate(f.sender, FSI))]
    if f.sender_phone:
        out.append(("small", t("Phone: %(phone)s", phone=isolate(f.sender_phone))))
    out.append(("title", t("Invitation to career guidance")))
    out.append(("text", t("To: %(name)s", name=isolate(f.name, FSI))))
    if f.replaces:
        # The numeric old dates and times: readable whatever the alphabet (as the reminder writes dates).
        when = " / ".join(isolate(start.strftime("%d.%m.%Y %H:%M")) for start in f.replaces)
        if f.new_place:
            out.append(("label", t("New time and place")))
            out.append(("text", t("This letter replaces the letter about %(date)s. Come at the new time and to the new "
                                  "place below.", date=when)))
        else:
            out.append(("label", t("New time")))
            out.append(("text", t("This letter replaces the letter about %(date)s. Come at the new time below.",
                                  date=when)))
    # A video session is not at the career centre: a participant told to come there travels for nothing.
    if f.session_type == "group" and f.video:
        out.append(("text", t("You are invited to a group session on career guidance by video. You will meet "
                              "other participants and a career counsellor and talk about education and work in Norway.")))
    elif f.session_type == "group":
        out.append(("text", t("You are invited to a group session on career guidance at the career centre. You will meet "
                              "other participants and a career counsellor and talk about education and work in Norway.")))
    elif f.video:
        out.append(("text", t("You are invited to individual career guidance by video. A career counsellor will "
                              "talk with you about your education, your work experience and your goals.")))
    else:
        out.append(("text", t("You are invited to individual career guidance at the career centre. A career counsellor will "
                              "talk with you about your education, your work experience and your goals.")))
    out.append(("label", t("Date")))
    # The numeric date beside the long one, as the text reminder writes it: a participant who cannot
    # read the month's name in their language (Tigrinya's, Somali's) can match "02.03.2027".
    out.append(("text", format_date(f.start.date(), "full", locale=locale) + " "
                + isolate(f"({f.start.strftime('%d.%m.%Y')})")))
    out.append(("label", t("Time")))
    out.append(("text", isolate(f"{format_time(f.start, 'HH:mm', locale=locale)}–{format_time(f.end, 'HH:mm', locale=locale)}")))
    out.append(("label", t("Place")))
    if f.video and f.video_link:
        out.append(("text", t("The session is held by video. At the time of the session, open this link on a phone or "
                              "computer (your programme adviser can help you):")))
        out.append(("text", isolate(f.video_link)))
    elif f.video:
        out.append(("text", t("The session is held by video. You will get the link before the session.")))
    else:
        out.append(("text", isolate(f.location, FSI)))
        if f.address:
            out.append(("text", isolate(f.address, FSI)))
        if f.room:
            out.append(("text", t("Room: %(room)s", room=isolate(f.room, FSI))))
        if f.directions:
            out.append(("label", t("How to find us")))
            out.append(("text", isolate(f.directions, FSI)))
            if code not in ("nb", "nn"):
                # The centre writes its directions in Norwegian only: say so in the reader's language.
                out.append(("small", t("The directions are in Norwegian. Your programme adviser can go through them "
                                       "with you.")))
        out.append(("label", t("Access")))
        out.append(("text", t("There is step-free access to the entrance (no stairs).") if f.step_free
                    else t("The entrance may have steps. Tell us if you need help getting in.")))
    if f.interpreter_language:
        language = language_name(f.interpreter_language, code)
        out.append(("label", t("Interpreter")))
        if f.interpreter_mode == "arranging":
            out.append(("text", t("We are arranging an interpreter in %(language)s for you.", language=language)))
        elif f.interpreter_mode == "video":
            out.append(("text", t("An interpreter in %(language)s will take part by video.", language=language)))
        elif f.interpreter_mode == "phone":
            out.append(("text", t("An interpreter in %(language)s will take part by phone.", language=language)))
        else:
            out.append(("text", t("An interpreter in %(language)s will be in the room with you.", language=language)))
    elif f.counsellor_speaks:
        out.append(("label", t("Interpreter")))
        out.append(("text", t("You do not need an interpreter: the career counsellor speaks %(language)s.",
                              language=language_name(f.counsellor_speaks, code))))
    out.append(("label", t("Please bring")))
    # At home by video nobody looks at the letter or an ID card: only what the talk itself needs.
    for item in (() if f.video else ("This letter.", "Your ID card or residence card.")) + (
            "Diplomas, certificates and papers from school or work, if you have them (on paper or on your phone).",
            "Glasses or a hearing aid, if you use them."):
        out.append(("item", t(item)))
    out.append(("label", t("Cannot come, or need another time?")))
    if f.contact_name:
        out.append(("text", t("Call or write to %(name)s as soon as you can. We will find a new time together.",
                              name=isolate(f.contact_name, FSI))))
        if f.contact_phone:
            out.append(("text", t("Phone: %(phone)s", phone=isolate(f.contact_phone))))
        if f.contact_email:
            out.append(("text", t("E-mail: %(email)s", email=isolate(f.contact_email))))
    else:
        out.append(("text", t("Contact the introduction programme in %(municipality)s as soon as you can. We will find a new "
                              "time together.", municipality=isolate(f.municipality, FSI))))
    out.append(("text", t("The guidance is free of charge.")))
    if code in NORWEGIAN and f.second:
        out.append(("small", t("The next page has this letter in %(language)s.", language=language_name(f.second, code))))
    elif code not in NORWEGIAN:
        out.append(("small", t("This is a translation of the Norwegian letter on the previous page.")))
    out.append(("small", t("Reference: %(reference)s", reference=isolate(f.reference))))
    return out


# --- The PDF ------------------------------------------------------------------------------------

SIZES = {"title": 20, "heading": 15, "label": 13, "text": 13, "item": 13, "small": 11}
LINE = 1.45  # line height as a multiple of the type size
POINT = 0.3528  # mm


def _shape(text: str) -> str:
    if not _ARABIC.search(text):
        return text
    import arabic_reshaper

    return arabic_reshaper.reshape(text)


# Directional isolates keep a value (a phone number, an address, a name) in its own direction inside a
# line of the other direction; they are control characters that no font draws, so they are taken out
# after the bidi algorithm has used them.
LRI, FSI, PDI = "\u2066", "\u2068", "\u2069"
_ISOLATES = str.maketrans("", "", "\u2066\u2067\u2068\u2069")
# Paired punctuation is drawn mirrored inside right-to-left runs (Unicode's Bidi_Mirrored pairs).
_MIRROR = str.maketrans("()[]{}<>«»‹›", ")(][}{><»«›‹")


def isolate(value: str, direction: str = LRI) -> str:
    """`value` kept whole in its own direction inside the letter's sentences."""
    return f"{direction}{value}{PDI}"


def _visual(line: str, rtl: bool) -> str:
    """The line's characters in drawing order (Unicode bidi algorithm), mirrored brackets in RTL runs."""
    if not rtl and not _RTL.search(line):
        return line.translate(_ISOLATES)
    from fpdf.bidi import BidiParagraph
    from fpdf.enums import TextDirection

    direction = TextDirection.RTL if rtl else TextDirection.LTR
    ordered = BidiParagraph(line, base_direction=direction).get_reordered_characters()
    return "".join(c.character.translate(_MIRROR) if c.embedding_level % 2 else c.character
                   for c in ordered).translate(_ISOLATES)


def _balance(lines: list[str]) -> list[str]:
    """An isolate broken over two lines is closed at the end of the first and opened again on the next."""
    balanced, open_ = [], []
    for line in lines:
        text = "".join(open_) + line
        for char in line:
            if char in (LRI, FSI, "\u2067"):
                open_.append(char)
            elif char == PDI and open_:
                open_.pop()
        balanced.append(text + PDI * len(open_))
    return balanced


def _lines(document, text: str, width: float, widths: dict) -> list[str]:
    """Break shaped text into lines that fit `width` (breaks at spaces; a too long word is cut).
    `widths` keeps measured words for the whole document (the same words recur in every letter)."""
    font = (document.font_family, document.font_style, document.font_size_pt, bool(document.text_shaping))

    def measure(word: str) -> float:
        key = (font, word)
        if key not in widths:
            widths[key] = document.get_string_width(word.translate(_ISOLATES))
        return widths[key]

    space = measure(" ")
    lines: list[str] = []
    for part in text.split("\n"):
        current, used = "", 0.0
        for word in part.split(" "):
            size = measure(word)
            if current and used + space + size > width:
                lines.append(current)
                current, used = "", 0.0
            if current:
                current, used = f"{current} {word}", used + space + size
            else:
                current, used = word, size
            while used > width and len(current) > 1:
                cut = len(current)
                while cut > 1 and document.get_string_width(current[:cut].translate(_ISOLATES)) > width:
                    cut -= 1
                lines.append(current[:cut])
                current = current[cut:]
                used = measure(current)
        lines.append(current)
    return _balance(lines)


def _family(code: str) -> str:
    if code in RIGHT_TO_LEFT:
        return "arabic"
    if code in ("ti", "am"):   # Tigrinya and Amharic share the Ethiopic script
        return "ethiopic"
    return "dejavu"


# Tags of the PDF's structure tree (screen readers): the title a heading, labels subheadings, the rest
# paragraphs; each element carries its language, and a right-to-left one the text in reading order
# (ActualText), since the page draws it in visual order.
TAGS = {"title": "H1", "heading": "H2", "label": "H2", "text": "P", "item": "P", "small": "P"}
# BCP 47 tags for the structure tree where they differ from the letter's code (which is otherwise the tag):
# Dari as Afghan Persian, which screen readers know.
PDF_LANG = {"prs": "fa-AF"}


@functools.cache
def _element_class():
    from fpdf.structure_tree import StructElem

    class Element(StructElem):
        """A structure element with a language and, for right-to-left text, the text in reading order."""

        __slots__ = ("lang", "actual_text")

    return Element


@contextmanager
def _tagged(document, tag: str, lang: str, actual_text: str | None, mcids: dict[int, int]):
    """A marked-content sequence on the current page and its structure element (fpdf2 2.8 tags only
    images and titles itself, so the element is added to its structure tree here). `mcids` counts the
    sequences per page (fpdf2's own count walks the whole tree each time)."""
    from fpdf.syntax import PDFString

    builder = document.struct_builder
    page = document.page
    mcid = mcids.get(page, 0)
    mcids[page] = mcid + 1
    spid = builder.spid_per_page_number.get(page)
    if spid is None:
        spid = len(builder.spid_per_page_number)
        builder.spid_per_page_number[page] = spid
    element = _element_class()(struct_type=f"/{tag}", parent=builder.doc_struct_elem, kids=[mcid], page_number=page)
    element.lang = PDFString(lang)
    element.actual_text = PDFString(actual_text) if actual_text else None
    builder.doc_struct_elem.k.append(element)
    builder.struct_tree_root.parent_tree.nums[spid].append(element)
    document.pages[page].struct_parents = spid
    document._out(f"/{tag} <</MCID {mcid}>> BDC")
    yield
    document._out("EMC")


# Space (mm) before a label and after the title; an item's continuation lines are indented.
SPACE_BEFORE, SPACE_AFTER, INDENT = {"label": 2}, {"title": 3}, {"item": 6}
# The type scales a letter may be set at to stay on one sheet: a moved letter with a centre's long directions
# (389 characters in Kurmanji) spilled two lines onto a page of their own at 0.85.
SCALES = (1.0, 0.92, 0.85, 0.78, 0.72)


def _paragraph(document, family: str, style: str, text: str, widths: dict, scale: float) -> tuple[list[str], float]:
    """Set the style's font and break `text` into lines: (lines, line height in mm). The one measure
    of a paragraph, for writing it and for checking that a letter fits its sheet."""
    size = SIZES[style] * scale
    document.set_font(family, "B" if style in ("title", "heading", "label") else "", size)
    shaped = text if document.text_shaping else _shape(text)
    return _lines(document, shaped, document.epw - INDENT.get(style, 0) - 1, widths), size * POINT * LINE


def _shaping(document, code: str, rtl: bool = True) -> None:
    """HarfBuzz for the languages that need it (`SHAPED_BY_HARFBUZZ`), the document's own drawing else."""
    if code in SHAPED_BY_HARFBUZZ:
        document.set_text_shaping(use_shaping_engine=True, direction="rtl" if rtl else "ltr",
                                  script="arab" if rtl else None, language=SHAPED_BY_HARFBUZZ[code])
    else:
        document.set_text_shaping(False)


def _draw_shaped(document, code: str, line: str, height: float) -> None:
    """One line of a HarfBuzz-shaped page, right-aligned. The bidi algorithm runs here, with the
    isolates that keep a time ("09:00–10:30"), a phone number or an address whole (fpdf2's shaping
    drops them and drew "10:30–09:00"); each run is then shaped in its own direction, in drawing order."""
    from fpdf.bidi import BidiParagraph
    from fpdf.enums import TextDirection

    runs: list[tuple[list[str], bool]] = []
    for char in BidiParagraph(line, base_direction=TextDirection.RTL).get_reordered_characters():
        if char.character in "\u2066\u2067\u2068\u2069":
            continue
        rtl = bool(char.embedding_level % 2)
        if runs and runs[-1][1] == rtl:
            runs[-1][0].append(char.character)
        else:
            runs.append(([char.character], rtl))
    # A right-to-left run is given to HarfBuzz in reading order (it was reversed for drawing). Spaces at
    # a run's ends are left out and added as room (a shaped cell drops them: "د2027").
    # A left-to-right run (a time, a number, a Latin name) is drawn in the Latin font it is measured in:
    # measured in the Arabic font and drawn in the fallback, a date's "2027" ran into its neighbours.
    family, style, size = document.font_family, document.font_style, document.font_size_pt

    def use(rtl: bool) -> None:
        document.set_font(family if rtl else "dejavu", style, size)
        _shaping(document, code, rtl)

    space = document.get_string_width(" ")
    pieces = []
    for chars, rtl in runs:
        visual = "".join(chars)
        text = visual.strip(" ")
        left, right = len(visual) - len(visual.lstrip(" ")), len(visual) - len(visual.rstrip(" "))
        text = text[::-1] if rtl else text
        use(rtl)
        pieces.append((text, rtl, left * space, document.get_string_width(text) if text else 0.0, right * space))
    # Right-aligned as the other pages' cells are (their text ends a cell margin inside the page margin);
    # the pieces themselves sit edge to edge, without a cell's margins.
    margin, document.c_margin = document.c_margin, 0
    x, y = document.l_margin + document.epw - margin - sum(a + w + b for _t, _r, a, w, b in pieces), document.get_y()
    for text, rtl, before, width, after in pieces:
        x += before
        if text:
            use(rtl)
            document.set_xy(x, y)
            document.cell(width, height, text)
        x += width + after
    document.c_margin = margin
    use(True)
    document.set_xy(document.l_margin, y + height)


def _fitting_scale(document, code: str, items: list[tuple[str, str]], widths: dict) -> float:
    """The type scale that keeps one language's letter on one sheet: 1, or a little smaller when a
    longer letter (a moved session's, a long address) would spill a line or two onto another page."""
    family = _family(code)
    _shaping(document, code)
    room = document.page_break_trigger - document.t_margin
    for scale in SCALES:
        needed = 0.0
        for style, text in items:
            lines, height = _paragraph(document, family, style, text, widths, scale)
            needed += height * len(lines) + SPACE_BEFORE.get(style, 0) + SPACE_AFTER.get(style, 0)
        if needed <= room:
            return scale
    return SCALES[-1]


def _write(document, code: str, items: list[tuple[str, str]], mcids: dict[int, int], widths: dict,
           scale: float = 1.0) -> None:
    rtl = code in RIGHT_TO_LEFT
    family = _family(code)
    align = "R" if rtl else "L"
    _shaping(document, code)
    for style, text in items:
        if style in SPACE_BEFORE:
            document.ln(SPACE_BEFORE[style])
        lines, height = _paragraph(document, family, style, text, widths, scale)
        # A paragraph stays on one page (its marked content cannot cross a page).
        if document.get_y() + height * len(lines) > document.page_break_trigger:
            document.add_page()
        spoken = text.translate(_ISOLATES) if rtl or _RTL.search(text) else None
        with _tagged(document, TAGS[style], PDF_LANG.get(code, code), spoken, mcids):
            for number, line in enumerate(lines):
                if style == "item":
                    line = f"• {line}" if number == 0 else f"   {line}"
                if rtl:
                    document.set_x(document.l_margin)
                else:
                    document.set_x(document.l_margin + (INDENT.get(style, 0) if number else 0))
                if code in SHAPED_BY_HARFBUZZ:
                    _draw_shaped(document, code, line, height)
                else:
                    document.cell(document.epw, height, _visual(line, rtl), align=align, new_x="LMARGIN",
                                  new_y="NEXT")
        if style in SPACE_AFTER:
            document.ln(SPACE_AFTER[style])


def render(pairs: list[tuple[Referral, Session]]) -> bytes:
    """One PDF, A4: for each (referral, session) the Norwegian letter, then its translation on the next page."""
    return render_facts([facts(referral, session) for referral, session in pairs])


def render_facts(letters: list[Facts]) -> bytes:
    from fpdf import FPDF

    document = FPDF(format="A4")
    document.set_creator("Veiled")
    document.set_title("Innkalling / Invitation")
    document.set_lang("nb")
    document.add_font("dejavu", "", str(FONTS / "DejaVuSans.ttf"))
    document.add_font("dejavu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    document.add_font("arabic", "", str(FONTS / "NotoSansArabic-Regular.ttf"))
    document.add_font("arabic", "B", str(FONTS / "NotoSansArabic-Bold.ttf"))
    document.add_font("ethiopic", "", str(FONTS / "NotoSansEthiopic-Regular.ttf"))
    document.add_font("ethiopic", "B", str(FONTS / "NotoSansEthiopic-Bold.ttf"))
    # A name or address in another script than the page's still comes out in a font that has it.
    document.set_fallback_fonts(["dejavu", "arabic", "ethiopic"], exact_match=False)
    document.set_margins(20, 18, 20)
    document.set_auto_page_break(True, margin=18)
    mcids: dict[int, int] = {}
    widths: dict = {}
    if not letters:
        document.add_page()
    for f in letters:
        first_page = document.page + 1
        for code in (f.norwegian, f.second):
            if code is None:
                continue
            document.add_page()
            document.start_section(f"{f.reference} – {language_name(code, 'en')}")
            items = paragraphs(f, code)
            _write(document, code, items, mcids, widths, _fitting_scale(document, code, items, widths))
        if len(letters) > 1 and (document.page - first_page + 1) % 2:
            # Printed on both sides, each participant's letters start on a sheet of their own: a letter that still
            # spilled over put the next participant's Norwegian letter on the back of its last page.
            document.add_page()
    return bytes(document.output())
