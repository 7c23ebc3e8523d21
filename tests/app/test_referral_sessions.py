"""A referral's page lists the participant's sessions in the published plan (Oslo time, place, counsellor,
status); the lead moves or cancels a booked one ahead from there, the referrer only reads."""
import re

import pytest

from tests.app import factories as f
from tests.app.page_text import words


def _rows(page: str) -> list[str]:
    table = page[page.index('id="sessions-caption"'):]
    table = table[:table.index("</table>")]
    return [words(row) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]


@pytest.mark.parametrize("day", [(2027, 1, 18), (2027, 6, 14)], ids=["winter", "summer"])
def test_the_referral_lists_its_sessions_and_the_lead_may_move_the_booked_ones_ahead(client, travel_to, day):
    year, month, date = day
    travel_to(f.oslo(year, month, date - 7, 12))
    w = f.world()
    held = f.published_session(w.counsellor, w.own_referral, start=f.oslo(year, month, date - 8, 9), status="completed")
    ahead = f.published_session(w.counsellor, w.own_referral, start=f.oslo(year, month, date, 9), type="group",
                                room_name="Grupperom")
    f.login(client, w.lead)
    page = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    rows = _rows(page)
    assert len(rows) == 2
    assert "09:00–10:30" in rows[1] and "Grupperom" in rows[1] and w.counsellor.name in rows[1]
    assert "Booket" in rows[1] and "Gjennomført" in rows[0]
    # Move and cancel come back to the referral afterwards.
    back = f"?back=/referrals/{w.own_referral.id}"
    assert f'href="/planning/sessions/{ahead.id}/edit{back}"' in page
    assert f'href="/planning/sessions/{ahead.id}/cancel{back}"' in page
    assert f"/planning/sessions/{held.id}/edit" not in page
    cancelled = client.post(f"/planning/sessions/{ahead.id}/cancel{back}", data={"reason": "other"})
    assert cancelled.headers["Location"].endswith(f"/referrals/{w.own_referral.id}")
    client.post("/logout")
    f.login(client, w.referrer)
    page = client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
    assert len(_rows(page)) == 2 and "/planning/sessions/" not in page


def test_a_referral_without_sessions_says_so(client):
    w = f.world()
    f.login(client, w.referrer)
    assert "Ingen time er booket ennå." in client.get(f"/referrals/{w.own_referral.id}").get_data(as_text=True)
