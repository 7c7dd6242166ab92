"""Every German catalogue is complete: the menu is German by default, so an untranslated or
fuzzy (= ignored) entry shows English to a German user."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(
    p for p in ROOT.glob("**/locale/de/LC_MESSAGES/django.po") if ".venv" not in p.parts
)


def entries(path):
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        if not any(line.startswith("msgid ") for line in lines):
            continue
        msgid_index = next(i for i, line in enumerate(lines) if line.startswith("msgid "))
        head = lines[msgid_index]
        if head == 'msgid ""' and (msgid_index + 1 >= len(lines)
                                   or not lines[msgid_index + 1].startswith('"')):
            continue  # the header entry
        flags = [line for line in lines if line.startswith("#,")]
        strs = [line for line in lines if line.startswith("msgstr")]
        continuation = {}
        current = None
        for line in lines:
            if line.startswith("msgstr"):
                current = line
                continuation[current] = [line.split(" ", 1)[1]]
            elif line.startswith('"') and current:
                continuation[current].append(line)
            elif not line.startswith('"'):
                current = None
        empty = any("".join(v) in ('""', '""""') and all(x == '""' for x in v)
                    for v in continuation.values())
        yield head, flags, strs, empty


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_german_catalogue_is_complete(path):
    problems = []
    for head, flags, _strs, empty in entries(path):
        if any("fuzzy" in flag for flag in flags):
            problems.append(f"fuzzy: {head}")
        elif empty:
            problems.append(f"untranslated: {head}")
    assert not problems, "\n".join(problems[:20])


def test_catalogues_exist():
    assert len(CATALOGUES) >= 2
