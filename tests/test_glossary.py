"""The German catalogues follow docs/glossary.md: no word of its "not" column appears in a German
translation, and form labels carry no colon."""

import re
from pathlib import Path

from tests.test_language import _po_entries

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.md"


def avoided_words() -> dict[str, str]:
    """Word to avoid → the glossary row's German term."""
    avoided = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("English (msgid)", "---"):
            continue
        for word in cells[2].split(","):
            word = re.sub(r"\(.*?\)", "", word).strip()
            if word:
                avoided[word] = cells[1]
    return avoided


def visible(text: str) -> str:
    """What a reader sees of a translation as words: placeholders (``%(extension)s``,
    ``{key}``) and quoted literals the user types (CSV columns „extension“) are not wording."""
    text = re.sub(r"%\(\w+\)[sd]|\{\w+\}", " ", text)
    return re.sub(r"„[^“]*“|“[^”]*”", " ", text)


def german_entries():
    for path in sorted(ROOT.glob("**/locale/de/LC_MESSAGES/*.po")):
        if ".venv" in path.parts:
            continue
        for msgid, msgstr, fuzzy in _po_entries(path):
            if msgstr and not fuzzy:
                yield path.relative_to(ROOT), msgid, msgstr


def test_glossary_lists_terms():
    words = avoided_words()
    assert "informiert" in words and "Nebenstelle" in words


def test_german_catalogues_follow_the_glossary():
    words = avoided_words()
    problems = []
    for path, msgid, msgstr in german_entries():
        for word, term in words.items():
            if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", visible(msgstr), re.I):
                problems.append(f"{path}: {msgid!r} → {msgstr!r}: use {term!r}, not {word!r}")
    assert not problems, "\n".join(problems)


def test_de_json_follows_the_glossary():
    import json

    words = avoided_words()
    catalogue = json.loads((ROOT / "locale" / "de.json").read_text(encoding="utf-8"))
    problems = [
        f"{msgid!r} → {german!r}: not {word!r}"
        for msgid, german in catalogue.items()
        for word in words
        if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", visible(german), re.I)
    ]
    assert not problems, "\n".join(problems)
