"""The flow picture: a well-formed SVG with one branch per outcome, escaped text."""

import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from callrouting.definition import build_definition
from callrouting.flow import draw
from callrouting.services import default_values

NS = "{http://www.w3.org/2000/svg}"


def picture(mode, **changes):
    values = {**default_values(name="T", mode=mode), **changes}
    with translation.override("de"):
        svg = draw(build_definition(values, {}))
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{NS}text")]
    classes = [g.get("class") for g in root.iter(f"{NS}g")]
    return svg, texts, classes


@pytest.mark.parametrize(
    ("mode", "outcomes"),
    [
        ("notice", ["node notified"]),
        ("opt_out", ["node objected", "node notified", "node invalid"]),
        ("opt_in", ["node objected", "node consented", "node objected", "node invalid"]),
    ],
)
def test_each_mode_draws_its_branches(mode, outcomes):
    _svg, _texts, classes = picture(mode)
    assert [
        c for c in classes if c.split()[1] in ("objected", "consented", "notified", "invalid")
    ] == outcomes


def test_picture_names_keys_timeout_numbers_and_route():
    _svg, texts, _ = picture(
        "opt_out",
        covers_all=False,
        numbers=["+49301234", "201"],
        objection_key="7",
        timeout_seconds=12,
        repeats=2,
        objection_route_to="+49309999",
    )
    assert "+49301234, 201" in texts and "Taste 7" in texts
    assert "12 s, 2 × wiederholt" in texts and "weiter an +49309999" in texts


def test_text_is_escaped_and_no_style_element():
    svg, texts, _ = picture("notice", name="<script>", text_de="A & B <b>")
    assert "<script>" not in svg and "<style" not in svg and "<b>" not in svg
    assert any("A & B <b>" in (t or "") for t in texts)
