"""indexes for county scale: a referral's audit history, a counsellor's calendar, a county's lists by deadline

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 21:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_audit_event_object", "audit_event", ["object_type", "object_id"])
    op.create_index("ix_session_counsellor_start", "session", ["counsellor_id", "start"])
    op.create_index("ix_referral_county_deadline", "referral", ["county_id", "deadline"])


def downgrade():
    op.drop_index("ix_referral_county_deadline", table_name="referral")
    op.drop_index("ix_session_counsellor_start", table_name="session")
    op.drop_index("ix_audit_event_object", table_name="audit_event")
