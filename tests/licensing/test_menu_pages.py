"""The licences pages as a product: warnings before the action, a CSV check run that agrees
with the table and keeps the file, a template to start from, empty results that say what they
mean, and one menu entry highlighted on every sub-page."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from licensing import selectors
from licensing.csv_format import parse_csv
from licensing.policy import assignment_warnings

T = "/t/alpha/licenses"
pytestmark = pytest.mark.django_db


@pytest.fixture
def pools(monitor_pool, record_pool):
    return monitor_pool, record_pool


def test_a_desk_phone_users_monitor_button_says_it_is_limited_before_it_is_pressed(
    web, admin_a, pools, supervisor_ext_a
):
    html = web(admin_a).get(f"{T}/").content.decode()
    cell = re.search(
        r'<td class="lic-cell" data-license="monitor">(.*?)</td>',
        html[html.index('data-extension="210"') :],
        re.S,
    ).group(1)
    warning = assignment_warnings(
        license="monitor", client_type="deskphone", record_all_calls=True
    )[0]["detail"]
    assert cell.index(warning) < cell.index("<button")  # said before the button
    assert "Mit Einschränkung zuweisen" in cell
    user_page = web(admin_a).get(f"{T}/users/210/").content.decode()
    assert user_page.index(warning) < user_page.index("Mit Einschränkung zuweisen")


def test_csv_check_run_agrees_with_the_tables_warnings(
    web, admin_a, pools, supervisor_ext_a, agent_ext_a
):
    upload = SimpleUploadedFile("l.csv", b"210,monitor\n201,monitor\n", content_type="text/csv")
    html = web(admin_a).post(f"{T}/import/", {"file": upload, "dry_run": "on"}).content.decode()
    warning = assignment_warnings(
        license="monitor", client_type="deskphone", record_all_calls=True
    )[0]["detail"]
    rows = dict(
        re.findall(r'<tr data-outcome="assigned"[^>]*>\s*<td>(\d+)</td>(.*?)</tr>', html, re.S)
    )
    assert warning in rows["1"] and "würde zugewiesen" in rows["1"]
    assert warning not in rows["2"] and "würde zugewiesen" in rows["2"]
    assert "Würde ausgeführt" not in html and "Would be applied." not in html


def test_csv_import_checks_first_and_applies_the_checked_file_without_a_new_upload(
    web, admin_a, tenant_a, pools, agent_ext_a
):
    client = web(admin_a)
    form = client.get(f"{T}/import/").content.decode()
    assert re.search(r'<input type="checkbox" name="dry_run"[^>]* checked', form)
    upload = SimpleUploadedFile("team.csv", b"201,record,,Schulung\n", content_type="text/csv")
    checked = client.post(f"{T}/import/", {"file": upload, "dry_run": "on"})
    assert selectors.used_count(tenant=tenant_a, license="record") == 0
    apply_form = checked.context["apply_form"]
    assert apply_form is not None
    html = checked.content.decode()
    assert 'data-testid="apply-checked"' in html and "team.csv" in html
    applied = client.post(
        f"{T}/import/",
        {
            "content": apply_form.initial["content"],
            "filename": apply_form.initial["filename"],
            "dry_run": "",
        },
    )
    assert applied.status_code == 200
    assert selectors.used_count(tenant=tenant_a, license="record") == 1
    assert "Übernommen: 1" in applied.content.decode()
    assert 'data-outcome="assigned"' in applied.content.decode()
    assert "zugewiesen" in applied.content.decode()


def test_csv_import_without_a_file_asks_for_one(web, admin_a, pools):
    response = web(admin_a).post(f"{T}/import/", {"dry_run": "on"})
    assert response.context["form"].errors["file"] == ["Wählen Sie eine CSV-Datei aus."]


def test_csv_template_downloads_in_the_users_language_and_reads_back(web, admin_a, pools, tenant_a):
    response = web(admin_a).get(f"{T}/import/template.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode("utf-8-sig")
    assert body.startswith("Durchwahl;Lizenz;Aktion;Grund")
    rows = parse_csv(response.content)
    assert [(r.extension, r.normalized_license, r.normalized_action) for r in rows] == [
        ("201", "monitor", "assign"),
        ("202", "record", "assign"),
        ("203", "monitor", "revoke"),
    ]
    english = web(admin_a).get(f"{T}/import/template.csv?lang=en")
    assert english.content.decode("utf-8-sig").startswith("extension,license,action,reason")


def test_matrix_problem_filter_without_hits_says_all_licences_take_effect(web, admin_a, pools):
    html = web(admin_a).get(f"{T}/matrix/?problems=1").content.decode()
    assert "Alle Lizenzen wirken." in html
    html = web(admin_a).get(f"{T}/matrix/?q=gibtesnicht").content.decode()
    assert "Kein TK-Teilnehmer passt zu „gibtesnicht“." in html


@pytest.mark.parametrize("path", ["/", "/matrix/", "/advisor/", "/import/", "/users/201/"])
def test_side_menu_highlights_licences_on_every_sub_page(web, admin_a, pools, agent_ext_a, path):
    html = web(admin_a).get(f"{T}{path}").content.decode()
    nav = html[html.index('<nav class="sidenav"') : html.index("</nav>", html.index("sidenav"))]
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', nav)
    assert current == [f"{T}/"]
    tabs = re.findall(r'<nav class="lic-tabs".*?</nav>', html, re.S)[0]
    assert ">Lizenzen<" not in tabs  # the tabs do not repeat the section's name


def test_who_assigned_shows_in_the_readers_language(web, admin_a, pools, agent_ext_a):
    from licensing import services

    services.assign_license(
        actor=None, tenant=agent_ext_a.tenant, pbx_user=agent_ext_a, license="monitor"
    )
    html = web(admin_a).get(f"{T}/users/201/").content.decode()
    assert "automatisch (System)" in html
    assert "durch system" not in html
