"""The feature code a supervisor dials: ``TLN*24*1#`` (TLN = the agent's extension).

Strict by design: exactly an extension as the portal stores them (2 to 15 digits), then
``*24*1#``, nothing before, after or between (no spaces, no ``+``, no other digits). Anything
else is ``None``, which the decision turns into ``malformed_code``.
"""

from __future__ import annotations

import re

SUFFIX = "*24*1#"
MAX_LENGTH = 15 + len(SUFFIX)
_CODE = re.compile(r"([0-9]{2,15})\*24\*1#")


def parse_feature_code(dialed) -> str | None:
    """The agent's extension from a dialled code, or ``None`` when it is not exactly
    ``TLN*24*1#``. Never raises (any input type is fine)."""
    if not isinstance(dialed, str) or len(dialed) > MAX_LENGTH:
        return None
    match = _CODE.fullmatch(dialed)
    # ``fullmatch`` with ``[0-9]`` (not ``\d``) refuses other Unicode digits.
    return match.group(1) if match else None


def feature_code_for(extension: str) -> str:
    """The code to dial for ``extension`` (shown in the menu)."""
    return f"{extension}{SUFFIX}"
