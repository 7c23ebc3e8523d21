"""Blueprints: thin request handling that calls services and renders or answers JSON.

Every module in this package that defines a blueprint `bp` is registered, so an area is
added by adding its module (and its entries in navigation.py and the access tests).
"""
import importlib
import pkgutil

from flask import Blueprint, Flask


def register_blueprints(app: Flask) -> None:
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        blueprint = getattr(module, "bp", None)
        if isinstance(blueprint, Blueprint):
            app.register_blueprint(blueprint)
