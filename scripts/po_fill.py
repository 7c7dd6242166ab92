"""Fill empty ``msgstr`` entries of a .po file from a JSON dictionary (msgid → translation).

Usage: python scripts/po_fill.py path/to/django.po translations.json
Keeps existing translations; prints the msgids still untranslated.
"""

import json
import re
import sys


def unquote(lines):
    return "".join(json.loads(line) for line in lines)


def quote(text):
    return json.dumps(text, ensure_ascii=False)


def unfuzz(line):
    if not line.startswith("#,"):
        return line
    flags = [f.strip() for f in line[2:].split(",") if f.strip() and f.strip() != "fuzzy"]
    return "#, " + ", ".join(flags) if flags else "#,"


def fill(po_path, mapping):
    with open(po_path, encoding="utf-8") as handle:
        blocks = handle.read().split("\n\n")
    missing = []
    out = []
    for block in blocks:
        lines = block.split("\n")
        try:
            i = next(n for n, line in enumerate(lines) if line.startswith("msgid "))
        except StopIteration:
            out.append(block)
            continue
        j = i + 1
        while j < len(lines) and lines[j].startswith('"'):
            j += 1
        msgid = unquote([lines[i][6:]] + lines[i + 1:j])
        if not msgid or j >= len(lines) or not lines[j].startswith("msgstr "):
            out.append(block)
            continue
        k = j + 1
        while k < len(lines) and lines[k].startswith('"'):
            k += 1
        msgstr = unquote([lines[j][7:]] + lines[j + 1:k])
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        if (not msgstr or fuzzy) and msgid in mapping:
            lines[j:k] = [f"msgstr {quote(mapping[msgid])}"]
            lines = [unfuzz(line) for line in lines if not line.startswith("#|")]
            lines = [line for line in lines if line != "#,"]
        elif not msgstr or fuzzy:
            missing.append(msgid)
        out.append("\n".join(lines))
    text = "\n\n".join(out)
    text = re.sub(r'"Language: \\n"', '"Language: de\\\\n"', text)
    with open(po_path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return missing


if __name__ == "__main__":
    with open(sys.argv[2], encoding="utf-8") as handle:
        mapping = json.load(handle)
    for msgid in fill(sys.argv[1], mapping):
        print("untranslated:", msgid)
