"""The routing drawn as a flow diagram: an SVG string built on the server (no library).

``draw(definition)`` is pure: boxes for the incoming call, the announcement and the wait for a
key, and one branch per outcome (objection, consent, no key, wrong key). Labels are in the
current language; every text is XML-escaped.
"""

from __future__ import annotations

import textwrap
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from .choices import Mode, Outcome

WIDTH = 760
BOX_W = 300
BRANCH_W = 176
LINE_H = 16
CHARS = 38
BRANCH_CHARS = 22


# Presentation attributes, not a <style> element: a Content-Security-Policy without
# 'unsafe-inline' for styles still draws them.
COLOURS = {
    "objected": ("#fde8e8", "#b42318"),
    "consented": ("#e7f6ec", "#1a7f37"),
    "notified": ("#eef4ff", "#2457c5"),
    "invalid": ("#fff7e0", "#9a6700"),
}
DEFAULT_COLOURS = ("#f4f6fa", "#44546a")
FONT = 'font-family="sans-serif"'


def _box(x, y, w, lines, css, title=""):
    h = 16 + LINE_H * len(lines)
    fill, stroke = COLOURS.get(css, DEFAULT_COLOURS)
    parts = [f'<g class="node {css}">']
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    parts.append(
        f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="8" ry="8" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
    )
    for i, line in enumerate(lines):
        weight = ' font-weight="bold"' if i == 0 else ""
        parts.append(
            f'<text x="{x + w / 2}" y="{y + 20 + i * LINE_H}" {FONT} font-size="13" '
            f'fill="#1d2633" text-anchor="middle"{weight}>{escape(line)}</text>'
        )
    parts.append("</g>")
    return "".join(parts), h


def _arrow(x1, y1, x2, y2, label=""):
    out = (
        f'<line class="edge" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#44546a" '
        f'stroke-width="1.5" marker-end="url(#arrow)"/>'
    )
    if label:
        out += (
            f'<text class="edge-label" x="{(x1 + x2) / 2 + 4}" y="{(y1 + y2) / 2}" '
            f'{FONT} font-size="12" fill="#44546a" text-anchor="start">'
            f"{escape(label)}</text>"
        )
    return out


def _quote(text, language):
    """Quotation marks of the quoted text's own language."""
    return f"„{text}“" if language == "de" else f"“{text}”"


def _wrap(text, width):
    return textwrap.wrap(text, width) or [""]


def draw(definition: dict) -> str:
    """The SVG (a complete ``<svg>`` element) of ``definition`` (draft or published)."""
    mode = definition["mode"]
    numbers = definition["numbers"]
    covers = (
        _("all numbers")
        if numbers["all"]
        else ", ".join(numbers["list"][:6]) + (" …" if len(numbers["list"]) > 6 else "")
    )
    langs = " / ".join(entry["code"].upper() for entry in definition["languages"])
    keys = definition["keys"]
    route = (definition.get("on_objection") or {}).get("route_to")
    cx = WIDTH / 2
    y = 12
    body = []

    box, h = _box(cx - BOX_W / 2, y, BOX_W, [_("Incoming call"), *_wrap(covers, CHARS)], "start")
    body.append(box)
    y += h
    next_y = y + 34
    body.append(_arrow(cx, y, cx, next_y - 2))
    y = next_y
    first_text = definition["languages"][0]["text"] if definition["languages"] else ""
    announce_lines = [
        _("Announcement (%(langs)s)") % {"langs": langs},
        *_wrap(
            _quote(
                first_text[:90] + ("…" if len(first_text) > 90 else ""),
                definition["languages"][0]["code"],
            ),
            CHARS,
        ),
    ]
    box, h = _box(cx - BOX_W / 2, y, BOX_W, announce_lines, "announce", first_text)
    body.append(box)
    y += h

    def outcome_lines(outcome):
        if outcome == Outcome.OBJECTED:
            lines = [_("Objection"), _("no recording"), _("no listen-in")]
            if route:
                lines.append(_("route to %(dest)s") % {"dest": route})
            return lines, "objected"
        if outcome == Outcome.CONSENTED:
            return [_("Consent"), _("recording kept"), _("listen-in allowed")], "consented"
        return [_("Notified"), _("recording kept"), _("listen-in allowed")], "notified"

    if mode == Mode.NOTICE:
        next_y = y + 34
        body.append(_arrow(cx, y, cx, next_y - 2))
        lines, css = outcome_lines(Outcome.NOTIFIED)
        box, h = _box(cx - BRANCH_W / 2, next_y, BRANCH_W, [*lines, _("keys are ignored")], css)
        body.append(box)
        y = next_y + h
    else:
        next_y = y + 34
        body.append(_arrow(cx, y, cx, next_y - 2))
        y = next_y
        wait_lines = [
            _("Wait for a key"),
            _("%(s)d s, repeated %(n)d ×")
            % {"s": definition["timeout_seconds"], "n": definition["repeats"]},
        ]
        box, h = _box(cx - BOX_W / 2, y, BOX_W, wait_lines, "wait")
        body.append(box)
        y += h
        branches = []
        if keys.get("objection"):
            branches.append((_("key %(key)s") % {"key": keys["objection"]}, Outcome.OBJECTED))
        if keys.get("consent"):
            branches.append((_("key %(key)s") % {"key": keys["consent"]}, Outcome.CONSENTED))
        branches.append((_("no key"), definition.get("on_no_input") or Outcome.NOTIFIED))
        branches.append((_("other key"), None))
        gap = (WIDTH - len(branches) * BRANCH_W) / (len(branches) + 1)
        top = y + 56
        heights = []
        for i, (label, outcome) in enumerate(branches):
            bx = gap + i * (BRANCH_W + gap)
            body.append(_arrow(cx, y, bx + BRANCH_W / 2, top - 2))
            body.append(
                f'<text class="edge-label" x="{bx + BRANCH_W / 2}" y="{top - 8}" '
                f'{FONT} font-size="12" fill="#44546a" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
            if outcome is None:
                lines, css = (
                    [
                        _("Invalid key"),
                        *_wrap(_("announcement again, if repeats are left"), BRANCH_CHARS),
                    ],
                    "invalid",
                )
            else:
                lines, css = outcome_lines(outcome)
            box, h = _box(bx, top, BRANCH_W, lines, css)
            body.append(box)
            heights.append(h)
        y = top + max(heights)
    height = y + 12
    label = escape(_("Flow of the routing"), {'"': "&quot;"})
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="routing-flow" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-label="{label}">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#44546a"/>'
        "</marker></defs>" + "".join(body) + "</svg>"
    )
