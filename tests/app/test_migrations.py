"""The Alembic migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from guidance.extensions import db
from guidance.models.types import render_item


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "render_item": render_item})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_reference_data_has_every_municipality(app):
    from sqlalchemy import func, select

    from guidance.models import County, Municipality

    assert db.session.scalar(select(func.count()).select_from(Municipality)) == 357
    assert db.session.scalar(select(func.count()).select_from(County)) == 15
