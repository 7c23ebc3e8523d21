"""The demo county is realistic enough to try every feature with."""
import pytest
import datetime as dt
from collections import Counter

from sqlalchemy import func, select

from guidance.extensions import db
from guidance.models import CareerCentre, CounsellorProfile, InterpreterProfile, Location, Referral, Role, User
from guidance.services import readiness
from guidance.services.demo import seed_demo

pytestmark = pytest.mark.one_database  # the demo runs on the embedded SQLite (README)


def test_demo_builds_a_county_with_every_role(app):
    result = seed_demo("46", referrals=200, today=dt.date(2027, 1, 4), password="demo-password-1")
    assert set(result.credentials) == {"admin", "lead", "referrer", "counsellor", "interpreter"}
    for email, password in result.credentials.values():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user.check_password(password)
    assert 3 <= db.session.scalar(select(func.count()).select_from(CareerCentre)) <= 4
    assert db.session.scalar(select(func.count()).select_from(Location).where(Location.outreach)) >= 2
    assert db.session.scalar(select(func.count()).select_from(CounsellorProfile)) >= 12
    assert db.session.scalar(select(func.count()).select_from(InterpreterProfile)) >= 25


def test_demo_referrals_follow_population_and_the_deadline_rule(app):
    seed_demo("46", referrals=200, today=dt.date(2027, 1, 4), password="demo-password-1")
    referrals = db.session.scalars(select(Referral)).all()
    assert len(referrals) == 200
    by_town = Counter(r.referring_municipality.name for r in referrals)
    assert by_town.most_common(1)[0][0] == "Bergen"
    # Most referrals come from a municipality with a referrer, who hears of changes to their sessions.
    with_referrer = set(db.session.scalars(select(User.municipality_id).where(User.role == Role.REFERRER)))
    assert len(with_referrer) == 9
    assert sum(r.referring_municipality_id in with_referrer for r in referrals) > 0.6 * len(referrals)
    for r in referrals:
        if r.legal_basis.value == "integration_act":
            assert r.deadline <= r.settlement_date.replace(month=r.settlement_date.month) + dt.timedelta(days=92)
            if r.programme_decision_date:
                assert r.deadline < r.programme_decision_date
        if r.legal_basis.value == "ordinary":
            assert r.deadline is None
    languages = Counter(r.participant.language for r in referrals)
    assert languages.most_common(1)[0][0] == "uk"


def test_some_demo_referrals_say_when_the_participant_can_come_and_the_plan_is_told(app):
    """Norwegian class in the mornings, a child to fetch: the lead sees it on the referral and the planner keeps to it."""
    from guidance.models import County
    from guidance.planning.instance import InstanceOptions, build_instance
    from guidance.planning import ids

    seed_demo("46", referrals=200, today=dt.date(2027, 1, 4), password="demo-password-1")
    limited = db.session.scalars(select(Referral).where(Referral.can_come_part.is_not(None))).all()
    assert len(limited) >= 10 and {r.can_come_part for r in limited} == {"morning", "afternoon"}
    county = db.session.scalar(select(County).where(County.number == "46"))
    instance = build_instance(county, InstanceOptions(today=dt.date(2027, 1, 4)))
    busy = {p["id"]: p["busy"] for p in instance["participants"]}
    planned = [r for r in limited if ids.participant_id(r.id) in busy]   # not withdrawn, needs not yet held
    assert len(planned) >= 8
    for referral in planned:
        times = busy[ids.participant_id(referral.id)]
        if referral.can_come_part == "morning":
            assert ["2027-01-05T12:00", "2027-01-05T23:59"] in times
        else:   # Monday to Wednesday afternoons: Thursday is out, Monday morning is out
            assert ["2027-01-07T00:00", "2027-01-07T23:59"] in times and ["2027-01-11T00:00", "2027-01-11T12:00"] in times


def test_rare_languages_have_remote_interpreters_only(app):
    seed_demo("46", referrals=20, today=dt.date(2027, 1, 4), password="demo-password-1")
    for profile in db.session.scalars(select(InterpreterProfile)):
        if {lang.language for lang in profile.languages} & {"ln", "sw"}:
            assert "onsite" not in profile.modes


def test_demo_can_seed_another_county(app, travel_to):
    # Seeded two years after its workbook was made: the interpreters' register checks are still recent.
    travel_to(dt.datetime(2028, 6, 5, 8, 0, tzinfo=dt.timezone.utc))
    result = seed_demo("18", referrals=30, today=dt.date(2028, 6, 5), password="demo-password-1")
    checked = [p.register_checked_on for p in db.session.scalars(select(InterpreterProfile))]
    assert checked and all(dt.date(2027, 6, 5) < day < dt.date(2028, 6, 5) for day in checked)
    assert readiness.check(result.county).problems == []
    assert result.county.name == "Nordland"
    lead = db.session.scalar(select(User).where(User.role == Role.LEAD))
    assert lead.county.number == "18"
    # The planner is told the road's time where the straight line misleads (Rana to Bodø over the mountain).
    from guidance.planning.instance import InstanceOptions, build_instance, instance_travel

    between = instance_travel(build_instance(result.county, InstanceOptions(today=dt.date(2028, 6, 5))))
    assert between("1833", "1804") >= 180 and between("1804", "1833") >= 180


def test_demo_places_have_addresses_hours_and_outreach_days_the_plan_reads(app):
    from guidance.planning import InstanceOptions, build_instance

    result = seed_demo("46", referrals=20, today=dt.date(2027, 1, 4), password="demo-password-1")
    locations = db.session.scalars(select(Location)).all()
    assert all(loc.address and loc.weekly_hours for loc in locations)
    outreach = [loc for loc in locations if loc.outreach]
    assert all(loc.open_pattern for loc in outreach)
    assert any(p["weeks"] == "even" for loc in outreach for p in loc.open_pattern)
    instance = build_instance(result.county, InstanceOptions(today=dt.date(2027, 1, 8)))
    placed = {loc["id"]: loc for loc in instance["locations"]}
    for loc in outreach:
        weekday = loc.open_pattern[0]["weekday"]
        days = [dt.date.fromisoformat(d) for d in placed[f"L{loc.id}"]["open_dates"]]
        assert days and {d.isoweekday() for d in days} == {weekday}
        if loc.open_pattern[0]["weeks"] == "even":
            assert all(d.isocalendar().week % 2 == 0 for d in days)
    assert "2027-12-24" not in instance["calendar"]["holidays"]  # beyond this horizon
    assert result.county.closure_days and "2027-12-24" in result.county.closure_days


def test_demo_interpreters_who_work_by_phone_have_a_number_to_be_called_on(app):
    """A phone assignment's request says the counsellor calls the interpreter on their Veiled number."""
    seed_demo("46", referrals=20, today=dt.date(2027, 1, 4), password="demo-password-1")
    by_phone = [p for p in db.session.scalars(select(InterpreterProfile)) if "phone" in p.modes]
    assert len(by_phone) >= 10
    assert all(p.user.phone for p in by_phone), [p.user.name for p in by_phone if not p.user.phone]
