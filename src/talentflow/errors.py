"""Errors a user can act on. The CLI prints their message and exits with their code."""

from __future__ import annotations


class TalentflowError(Exception):
    """Base of talentflow's errors."""

    exit_code = 1


class InputError(TalentflowError):
    """An input cannot be read at all: missing, empty directory, not a format talentflow knows."""

    exit_code = 2


class StoreError(TalentflowError):
    """The store cannot be opened or does not hold what was asked for."""

    exit_code = 2


class UsageError(TalentflowError):
    """Options that do not fit together."""

    exit_code = 2
