"""Domain errors raised by services; blueprints turn them into form messages or problem JSON."""


class DomainError(Exception):
    """A use case refused; `field_errors` maps field paths to messages (already translated)."""

    def __init__(self, message: str, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class NotAllowed(DomainError):
    pass
