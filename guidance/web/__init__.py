"""Blueprints: thin request handling that calls services and renders or answers JSON."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from guidance.web import admin, api, auth, main, referrals

    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(referrals.bp)
    app.register_blueprint(api.bp)
