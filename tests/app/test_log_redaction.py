"""Secret links (an invitation, a password reset, an interpreter's answer link, a calendar address) act as
the person they were sent to: the request log wrote them whole (the walk read them in the server's log)."""
import logging

import pytest

from guidance.log_redaction import redact

pytestmark = pytest.mark.one_database  # logging only


def test_the_development_servers_request_log_leaves_out_the_secret_part(app, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    log = logging.getLogger("werkzeug")
    for line in ("GET /account/invitation/eyJ1c2VyIjo1Ni.Zk9x HTTP/1.1", "GET /calendar/kXs1Sq8w.ics HTTP/1.1",
                 "POST /bookings/confirm/Tq-9_z HTTP/1.1", "GET /account/reset-password/abc.def HTTP/1.1"):
        log.info('%s - - [%s] "%s" %s %s', "127.0.0.1", "06/Dec/2026 17:00:00", line, "200", "-")
    written = caplog.text
    assert "eyJ1c2VyIjo1Ni" not in written and "kXs1Sq8w" not in written and "Tq-9_z" not in written
    assert "abc.def" not in written
    assert "/account/invitation/…" in written and "/calendar/….ics" in written


def test_ordinary_paths_are_written_as_they_are():
    for path in ("GET /week/calendar/token HTTP/1.1", "GET /bookings/calendar/request-mail HTTP/1.1",
                 "GET /referrals/122 HTTP/1.1", "GET /bookings/17 HTTP/1.1"):
        assert redact(path) == path
