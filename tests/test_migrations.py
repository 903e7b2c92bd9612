"""Migrations are the only way the schema is made: empty to head on both databases, back
down and up again, and the models declare exactly what the migrations create."""
import uuid

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_appbuilder import Model
from flask_migrate import downgrade, upgrade

from app import MIGRATIONS_DIR, create_app
from app.extensions import db
from app.models import QualificationType
from tests.conftest import app_config


def _fresh_app(backend_db):
    manager, _template = backend_db
    url = manager.empty_url(f"m{uuid.uuid4().hex[:10]}")
    return manager, url, create_app(app_config(url, manager.workdir))


def _head() -> str:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def test_upgrade_from_empty_to_head_then_down_and_up_again(backend_db):
    manager, url, app = _fresh_app(backend_db)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == _head()
        names = {q.code for q in db.session.scalars(sa.select(QualificationType))}
        assert names == {"constructor", "structural", "cost", "architect"}
        db.session.remove()
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "application" in sa.inspect(db.engine).get_table_names()
        db.session.remove()
        db.engines[None].dispose()
    manager.drop(url)


def test_models_match_the_migrations(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Model.metadata)
    assert diff == []


def test_qualification_rules_are_data(app):
    constructor = db.session.scalar(sa.select(QualificationType).filter_by(code="constructor"))
    assert (constructor.validity_years, constructor.initial_window_years, constructor.age_cap) == (3, 3, 65)
    assert [s.name for s in constructor.specialties] == [
        "建筑工程", "公路工程", "水利水电工程", "市政公用工程", "矿业工程", "机电工程"]
    cost = db.session.scalar(sa.select(QualificationType).filter_by(code="cost"))
    assert (cost.validity_years, cost.initial_window_years, cost.age_cap) == (4, 1, None)


def test_placeholder_addresses_with_id_numbers_are_rewritten(backend_db):
    """0012: `<ID number>@users.invalid` (the old sign-up placeholder) becomes
    `account-<id>@users.invalid`; an address a person gave is left alone."""
    manager, url, app = _fresh_app(backend_db)
    with app.app_context():
        upgrade(revision="7f3e2a9c0b11")
        db.session.execute(sa.text(
            "INSERT INTO ab_user (id, first_name, last_name, username, email, active) VALUES "
            "(41, '张三', '', '110105198001010016', '110105198001010016@users.invalid', true), "
            "(42, '王经办', '', 'newco_admin', 'newco_admin@users.invalid', true), "
            "(43, '李四', '', 'reviewer_li', 'li@example.gov.cn', true)"))
        db.session.commit()
        upgrade()
        emails = dict(db.session.execute(sa.text("SELECT id, email FROM ab_user")).all())
        assert emails == {41: "account-41@users.invalid", 42: "account-42@users.invalid",
                          43: "li@example.gov.cn"}
        db.session.remove()
        db.engines[None].dispose()
    manager.drop(url)
