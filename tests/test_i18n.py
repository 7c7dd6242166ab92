"""German by default, English on request; dates localised."""

import pytest


@pytest.mark.django_db
def test_menu_is_german_by_default_and_english_on_request(web, admin_a, tenant_a):
    client = web(admin_a)
    german = client.get(f"/t/{tenant_a.slug}/pbx-users/")
    assert german["Content-Language"] == "de" and "TK-Teilnehmer" in german.content.decode()
    english = client.get(f"/t/{tenant_a.slug}/pbx-users/?lang=en")
    assert english["Content-Language"] == "en" and "PBX users" in english.content.decode()
    # The choice sticks (cookie) ...
    again = client.get(f"/t/{tenant_a.slug}/pbx-users/")
    assert again["Content-Language"] == "en"
    # ... and the switcher in the header sets it too.
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    assert client.get(f"/t/{tenant_a.slug}/")["Content-Language"] == "de"


@pytest.mark.django_db
def test_browser_language_does_not_override_german(web, admin_a, tenant_a):
    response = web(admin_a).get(f"/t/{tenant_a.slug}/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "de"


def test_dates_and_numbers_are_localised():
    import datetime

    from django.template import Context, Template
    from django.utils import translation

    template = Template('{% load l10n %}{{ d|date:"SHORT_DATE_FORMAT" }} {{ n|floatformat:2 }}')
    context = Context({"d": datetime.date(2026, 11, 25), "n": 1234.5})
    with translation.override("de"):
        assert template.render(context) == "25.11.2026 1234,50"
    with translation.override("en"):
        assert template.render(context) == "11/25/2026 1234.50"
