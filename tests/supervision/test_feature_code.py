import pytest

from supervision.feature_code import feature_code_for, parse_feature_code


@pytest.mark.parametrize(
    "dialed, extension",
    [
        ("201*24*1#", "201"),
        ("10*24*1#", "10"),
        ("123456789012345*24*1#", "123456789012345"),
        ("0201*24*1#", "0201"),
    ],
)
def test_parses_the_agents_extension(dialed, extension):
    assert parse_feature_code(dialed) == extension


@pytest.mark.parametrize(
    "dialed",
    [
        "",
        "201",
        "*24*1#",
        "1*24*1#",
        "1234567890123456*24*1#",
        "201*24*1",
        "201*24*2#",
        "201*24*1##",
        "201**24*1#",
        " 201*24*1#",
        "201*24*1# ",
        "201 *24*1#",
        "+49201*24*1#",
        "20a*24*1#",
        "٢٠١*24*1#",
        "201*24*1#\n",
        "201#24#1#",
        "*201*24*1#",
        "201*25*1#",
        None,
        201,
        ["201*24*1#"],
        "9" * 500 + "*24*1#",
    ],
)
def test_anything_else_is_malformed(dialed):
    assert parse_feature_code(dialed) is None


def test_the_code_shown_for_an_extension_parses_back():
    assert parse_feature_code(feature_code_for("4711")) == "4711"
