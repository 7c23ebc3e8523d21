"""The queries the county-scale indexes (migration 0012_scale) serve, timed without and with them.

    .venv/bin/python tests/bench/index_bench.py [--views 200000] [--sessions 20000]

A SQLite database in memory with the columns these queries read, filled like a county after a
year or two (every opening of a referral is an audit event; many published sessions), then each
query's plan (EXPLAIN QUERY PLAN) and median time over 50 runs, before and after the indexes.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import statistics
import time

QUERIES = {
    "a referral's history": ("SELECT id FROM audit_event WHERE object_type = 'referral' AND object_id = ? "
                             "AND action != 'referral.viewed' ORDER BY at, id", lambda rng: (rng.randint(1, 4000),)),
    "a counsellor's feed (210 days)": ("SELECT id FROM session WHERE counsellor_id = ? AND status IN ('booked', 'completed', "
                                       "'cancelled') AND start >= ? AND start < ? ORDER BY start, id",
                                       lambda rng: (rng.randint(1, 30), "2027-01-01 00:00:00", "2027-08-01 00:00:00")),
    "a county's referrals by deadline": ("SELECT id FROM referral WHERE county_id = ? ORDER BY deadline, id LIMIT 50",
                                         lambda rng: (rng.randint(1, 15),)),
}
INDEXES = [
    "CREATE INDEX ix_audit_event_object ON audit_event (object_type, object_id)",
    "CREATE INDEX ix_session_counsellor_start ON session (counsellor_id, start)",
    "CREATE INDEX ix_referral_county_deadline ON referral (county_id, deadline)",
]


def build(views: int, sessions: int) -> sqlite3.Connection:
    rng = random.Random(1)
    db = sqlite3.connect(":memory:")
    db.executescript("""
        CREATE TABLE audit_event (id INTEGER PRIMARY KEY, at TEXT, action TEXT, object_type TEXT, object_id INTEGER);
        CREATE INDEX ix_audit_event_at ON audit_event (at);
        CREATE TABLE session (id INTEGER PRIMARY KEY, counsellor_id INTEGER, status TEXT, start TEXT);
        CREATE INDEX ix_session_counsellor_id ON session (counsellor_id);
        CREATE INDEX ix_session_start ON session (start);
        CREATE TABLE referral (id INTEGER PRIMARY KEY, county_id INTEGER, deadline TEXT);
        CREATE INDEX ix_referral_county_id ON referral (county_id);
        CREATE INDEX ix_referral_deadline ON referral (deadline);
    """)
    start = dt.datetime(2026, 1, 1)
    db.executemany("INSERT INTO audit_event (at, action, object_type, object_id) VALUES (?, ?, ?, ?)", (
        ((start + dt.timedelta(minutes=i)).isoformat(" "), rng.choice(["referral.viewed"] * 8 + ["referral.corrected", "booking.accepted"]),
         rng.choice(["referral"] * 9 + ["interpreterbooking"]), rng.randint(1, 4000)) for i in range(views)))
    db.executemany("INSERT INTO session (counsellor_id, status, start) VALUES (?, ?, ?)", (
        (rng.randint(1, 30), rng.choice(["booked", "completed", "planned", "cancelled"]),
         (start + dt.timedelta(hours=rng.randint(0, 24 * 700))).isoformat(" ")) for _ in range(sessions)))
    db.executemany("INSERT INTO referral (county_id, deadline) VALUES (?, ?)", (
        (rng.randint(1, 15), (dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 700))).isoformat())
        for _ in range(30000)))
    db.execute("ANALYZE")
    return db


def measure(db: sqlite3.Connection) -> dict:
    rng = random.Random(2)
    out = {}
    for name, (sql, args) in QUERIES.items():
        plan = "; ".join(row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + sql, args(rng)))
        times = []
        for _ in range(50):
            values = args(rng)
            started = time.perf_counter()
            db.execute(sql, values).fetchall()
            times.append((time.perf_counter() - started) * 1000)
        out[name] = (statistics.median(times), plan)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=int, default=200_000)
    parser.add_argument("--sessions", type=int, default=20_000)
    args = parser.parse_args()
    db = build(args.views, args.sessions)
    before = measure(db)
    for sql in INDEXES:
        db.execute(sql)
    db.execute("ANALYZE")
    after = measure(db)
    print(f"# SQLite, {args.views} audit events, {args.sessions} sessions, 30000 referrals; median of 50 runs")
    print("| query | before ms | after ms | plan before | plan after |")
    print("|---|---|---|---|---|")
    for name in QUERIES:
        print(f"| {name} | {before[name][0]:.2f} | {after[name][0]:.2f} | {before[name][1]} | {after[name][1]} |")


if __name__ == "__main__":
    main()
