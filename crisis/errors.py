"""Errors that services raise and edges translate (API: status codes, pages: form errors)."""


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    status_code = 400


class InvalidTransition(DomainError):
    """The object is not in a state that allows this action."""

    status_code = 409


class Conflict(DomainError):
    """Someone else got there first (a race lost to another worker or user)."""

    status_code = 409


class NeedsConfirmation(DomainError):
    """Allowed, but against what the call needs: the caller must confirm, having been shown `reasons`."""

    status_code = 409

    def __init__(self, message: str, *, reasons: list[str], field: str = "confirm"):
        super().__init__(message, field=field)
        self.reasons = list(reasons)


def add_to_form(form, exc: DomainError) -> None:
    """Show a service's refusal on a page's form: under its field when the form has that field, else at the top."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
