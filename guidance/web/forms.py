"""Form helpers shared by the blueprints."""
from __future__ import annotations

from flask_wtf import FlaskForm

from guidance.extensions import db
from guidance.services.errors import DomainError


class PostForm(FlaskForm):
    """A button that only carries the CSRF token."""


def show_refusal(form, error: DomainError) -> None:
    """A use case refused: undo what it wrote, and put each field's message on its field so
    the form re-renders with the user's data and a message per field."""
    db.session.rollback()
    for name, messages in error.field_errors.items():
        field = getattr(form, name)
        field.errors = list(field.errors) + messages
