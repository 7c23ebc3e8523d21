"""Veiled: planning career guidance for newly settled refugees."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Rule

from guidance import oidc
from guidance.config import ROOT, build_config
from guidance.extensions import babel, csrf, db, limiter, login_manager, migrate


class RowIdConverter(IntegerConverter):
    """A whole number in a URL (an id, a year, a week) at most the largest 32-bit integer: a longer
    one is no page (404), not an overflow in the database driver or the calendar (500)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


class LazyBuildRule(Rule):
    """A URL rule that writes its URL-building code when a URL is first built from it, not when it is
    added: Werkzeug generates and compiles that code for every rule of every application started
    (two functions a rule, some 300 for this app), most of them never used by a worker or a command
    (and the test suite starts an application per test). Matching is unchanged. If Werkzeug stops
    calling this hook, rules are simply compiled as before."""

    def _compile_builder(self, append_unknown: bool = True):
        built = []

        def build(rule, *args, **kwargs):
            if not built:
                built.append(Rule._compile_builder(rule, append_unknown).__get__(rule, None))
            return built[0](*args, **kwargs)

        return build


def create_app(config: dict | None = None) -> Flask:
    """Build the application; nothing runs at import time."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    # Before any route is added: every <int:...> in a URL is a row id the databases can hold.
    app.url_map.converters["int"] = RowIdConverter
    app.url_rule_class = LazyBuildRule
    app.config.update(build_config(Path(app.instance_path), config))
    if app.config["TEMPLATE_CACHE_DIR"]:  # before anything builds the template environment
        from jinja2 import FileSystemBytecodeCache

        Path(app.config["TEMPLATE_CACHE_DIR"]).mkdir(parents=True, exist_ok=True)
        app.jinja_options = {**app.jinja_options, "bytecode_cache": FileSystemBytecodeCache(app.config["TEMPLATE_CACHE_DIR"])}
    if app.config["TRUSTED_PROXIES"]:
        # The client's address (rate limits per address) and scheme as the proxies saw them.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    db.init_app(app)
    from guidance.models.types import render_item

    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True,
                     render_item=render_item)
    csrf.init_app(app)
    from guidance.web.errors import register_retry_after

    register_retry_after(app)  # before the limiter: after_request hooks run in reverse order
    limiter.init_app(app)
    _init_login(app)
    oidc.init_app(app)
    from guidance.services import sessions

    sessions.register(app)
    _init_babel(app)

    from guidance import cli
    from guidance.web import register_blueprints
    from guidance.web.errors import register_error_handlers
    from guidance.web.security import register_security_headers
    from guidance.web.templating import register_template_helpers

    register_blueprints(app)
    register_error_handlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    cli.register(app)
    _quiet_logs(app)
    return app


def _init_login(app: Flask) -> None:
    from guidance.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page says why itself
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        from sqlalchemy.orm import joinedload

        # The counsellor profile in the same query: the menu asks whether the user counsels (a lead may);
        # populate_existing: also when the user is already in the session (the tests share one).
        user = db.session.get(User, int(user_id), options=[joinedload(User.counsellor)], populate_existing=True)
        return user if user is not None and user.active else None


def uncompiled_catalogs(directory: Path) -> list[str]:
    """The locales whose messages.po has no messages.mo beside it (sorted)."""
    return sorted(po.parent.parent.name for po in directory.glob("*/LC_MESSAGES/messages.po")
                  if not po.with_suffix(".mo").exists())


def _init_babel(app: Flask) -> None:
    from guidance.web.i18n import select_locale, select_timezone

    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")
    missing = uncompiled_catalogs(Path(app.config["BABEL_TRANSLATION_DIRECTORIES"]))
    if missing:
        # Without the compiled catalogues every page is English while "Norsk bokmål" reads as chosen.
        app.logger.warning("Translations not compiled for %s: run `pybabel compile -d guidance/translations` "
                           "(scripts/setup-env does it); pages show English until then.", ", ".join(missing))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    from guidance.web.i18n import use_app_catalogs_for_forms

    use_app_catalogs_for_forms()


def _quiet_logs(app: Flask) -> None:
    # Request logs carry URLs only (ids, never names); keep werkzeug at INFO, without secret links.
    from guidance.log_redaction import RedactSecretLinks

    werkzeug = logging.getLogger("werkzeug")
    werkzeug.setLevel(logging.INFO)
    if not any(isinstance(f, RedactSecretLinks) for f in werkzeug.filters):
        werkzeug.addFilter(RedactSecretLinks())
    # SQL echo logs result rows (names, phones) at DEBUG: never let a root DEBUG switch it on.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
