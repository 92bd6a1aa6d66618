"""Errors a user can act on. Each front end words them its own way and exits or answers with their code.

An error about one parameter carries its name in ``param`` (the Python keyword, e.g. ``start`` or ``n_boot``),
and its ``message`` does not name it: the command line says ``--from: …``, the web API ``from: …``, and
``str(error)`` says ``start: …`` for a Python caller.
"""

from __future__ import annotations


class TalentflowError(Exception):
    """Base of talentflow's errors."""

    exit_code = 1

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param

    def __str__(self) -> str:
        return f"{self.param}: {self.message}" if self.param else self.message


class InputError(TalentflowError):
    """An input cannot be read at all: missing, empty directory, not a format talentflow knows."""

    exit_code = 2


class StoreError(TalentflowError):
    """The store cannot be opened or does not hold what was asked for."""

    exit_code = 2


class UsageError(TalentflowError):
    """Options that do not fit together, or a value a parameter cannot take."""

    exit_code = 2


class ApiError(TalentflowError):
    """A remote API failed in a way that may pass: no answer, server errors, rate limits beyond patience, a
    circuit opened by repeated failures. Trying again later (``--resume``) is the remedy. ``kind`` names the
    failure: ``network``, ``server_error``, ``rate_limited``, ``circuit_open``, ``paging`` or ``unexpected``."""

    exit_code = 3

    def __init__(self, message: str, *, kind: str, param: str | None = None) -> None:
        super().__init__(message, param=param)
        self.kind = kind


class AccessError(ApiError):
    """A remote API refused access, and a person must act before trying again: a captcha
    (``captcha_required``), a bad, expired or revoked token (``oauth``), a blocked address (``blocked``), a
    geographic block (``geo_blocked``), a rejected User-Agent (``bad_user_agent``)."""

    exit_code = 4


class BusyError(TalentflowError):
    """Another process holds what this one needs (a collection run of the same store)."""

    exit_code = 5


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) stopped a command that writes; ``stored`` says whether its work was committed first.

    A KeyboardInterrupt, so that ``except Exception`` never swallows it. The command line prints ``message`` as
    one line and exits with 130.
    """

    exit_code = 130

    def __init__(self, message: str, *, stored: bool) -> None:
        super().__init__(message)
        self.message = message
        self.stored = stored
