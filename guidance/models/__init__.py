"""All models, imported here so Alembic and the app see the whole schema."""
from guidance.models.note import AuditEvent, GuidanceNote
from guidance.models.notice_log import Notice, TextMessage
from guidance.models.organisation import CareerCentre, County, InterpreterBudget, Location, Municipality, Room
from guidance.models.people import (
    Absence,
    ApiToken,
    CounsellorProfile,
    InterpreterLanguage,
    InterpreterProfile,
    RecoveryCode,
    Role,
    User,
    UserIdentity,
    counsellor_location,
)
from guidance.models.plan import (
    BookingStatus,
    CannotCome,
    LetterPrinted,
    ParticipantToTell,
    MISSED,
    InterpreterBooking,
    Outcome,
    OutboxMessage,
    PlanningRun,
    RunStatus,
    Session,
    SessionParticipant,
    SessionStatus,
)
from guidance.models.referral import (
    OPEN_STATUSES,
    Attachment,
    LegalBasis,
    NotSamePerson,
    Participant,
    Referral,
    ReferralStatus,
    SessionType,
)
from guidance.models.sessions import UserSession

__all__ = [name for name in dir() if not name.startswith("_")]
