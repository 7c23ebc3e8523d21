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


def test_stored_norwegian_landlines_are_regrouped_and_mobiles_left_alone():
    """0034: numbers written 3-2-3 for every Norwegian number become 2-2-2-2 for a landline (+47 55 30 60 00);
    the downgrade writes them back."""
    import importlib.util
    from pathlib import Path

    import sqlalchemy as sa
    from alembic.operations import Operations

    path = Path(__file__).parents[2] / "migrations" / "versions" / "0034_landline_grouping.py"
    spec = importlib.util.spec_from_file_location("landlines", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    engine = sa.create_engine("sqlite://")
    phones = ["+47 553 06 000", "+47 400 00 000", "+47 915 55 123", "+46 70 123 45 67", None]
    with engine.begin() as connection:
        for table in ("user", "participant", "career_centre"):
            connection.execute(sa.text(f'CREATE TABLE "{table}" (id INTEGER PRIMARY KEY, phone VARCHAR(40))'))
            for phone in phones:
                connection.execute(sa.text(f'INSERT INTO "{table}" (phone) VALUES (:p)'), {"p": phone})
        context = MigrationContext.configure(connection)
        with Operations.context(context):
            migration.upgrade()
            after = [connection.execute(sa.text(f'SELECT phone FROM "{t}" ORDER BY id')).scalars().all()
                     for t in ("user", "participant", "career_centre")]
            migration.downgrade()
            back = connection.execute(sa.text('SELECT phone FROM "participant" ORDER BY id')).scalars().all()
    assert after == [["+47 55 30 60 00", "+47 400 00 000", "+47 915 55 123", "+46 70 123 45 67", None]] * 3
    assert back == phones
