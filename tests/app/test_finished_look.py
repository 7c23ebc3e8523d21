"""A finished look (issue 24, item 10): statuses as tags with their words, empty states that say
what to do next, and a favicon the browser finds."""
import pytest

from guidance.models import Role
from tests.app import factories as f

pytestmark = pytest.mark.one_database  # tags, empty states and the favicon come from the templates


def test_statuses_are_tags_with_words(client, travel_to):
    travel_to(f.oslo(2027, 1, 4, 12))
    w = f.world()
    f.published_session(w.counsellor, w.other_referral, start=f.oslo(2027, 1, 19, 9))
    f.login(client, w.lead)
    referrals = client.get("/referrals/").get_data(as_text=True)
    assert '<strong class="tag tag-blue">Mottatt</strong>' in referrals  # the own referral: received
    assert '<strong class="tag tag-green">Booket</strong>' in referrals  # the other: booked
    client.post("/logout")
    f.login(client, w.counsellor)
    week = client.get("/week/2027/3").get_data(as_text=True)
    assert '<strong class="tag tag-green">Booket</strong>' in week


def test_empty_lists_say_what_to_do_next(client):
    w = f.world()
    f.login(client, w.lead)
    runs = client.get("/planning/").get_data(as_text=True)
    assert "Ingen planforslag ennå." in runs
    assert "Lag det første planforslaget med skjemaet over." in runs
    filtered = client.get("/queue/?language=zz&status=no_show").get_data(as_text=True)
    assert "Velg andre filtre, eller fjern dem for å se hele køen." in filtered
    client.post("/logout")

    f.login(client, w.counsellor)
    assert "Ingen timer denne uken." in client.get("/week/2027/5").get_data(as_text=True)
    client.post("/logout")

    newcomer = f.user(Role.REFERRER, municipality_number="4631")  # Alver: no referrals
    f.login(client, newcomer)
    empty = client.get("/referrals/").get_data(as_text=True)
    assert "Henvis en deltaker med skjemaet" in empty
    assert 'class="button" href="/intake/new"' in empty


def test_the_queue_without_open_referrals_says_it_is_empty(client):
    w = f.world()
    from guidance.extensions import db
    from guidance.models import ReferralStatus

    for referral in (w.own_referral, w.other_referral):
        referral.status = ReferralStatus.WITHDRAWN
    db.session.commit()
    f.login(client, w.lead)
    page = client.get("/queue/").get_data(as_text=True)
    assert "Køen er tom." in page


def test_every_page_names_a_favicon_that_is_served(client):
    page = client.get("/login").get_data(as_text=True)
    for path, kind in (("/static/img/favicon.svg", "image/svg+xml"), ("/static/img/favicon.ico", "image/"),
                       ("/static/img/apple-touch-icon.png", "image/png")):
        assert f'href="{path}"' in page
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype.startswith(kind), path
