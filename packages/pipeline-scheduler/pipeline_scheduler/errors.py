"""Typed errors raised by the service layer; the base handler maps each to one HTTP status."""

from __future__ import annotations


class SchedulerError(Exception):
    """Base class: carries a user-facing message and, where known, the offending field."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None, details: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details  # structured context, e.g. the file, section and line of a config error


class Invalid(SchedulerError):
    """The request is malformed or a value is not acceptable (400)."""

    status_code = 400


class NotFound(SchedulerError):
    """The job, run or file named by the request does not exist (404)."""

    status_code = 404


class Conflict(SchedulerError):
    """The request contradicts the current state, e.g. deleting a running run (409)."""

    status_code = 409


class TooLarge(SchedulerError):
    """The request body exceeds the accepted size (413)."""

    status_code = 413
