"""Reading a JSON dump of an hh.ru answer, with the errors a user can act on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from talentflow.errors import InputError


def load(path: Path, what: str) -> Any:
    """The JSON document in ``path``; an InputError naming the file when it is missing or not ``what``."""
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not {what} ({exc})") from None
