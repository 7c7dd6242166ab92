"""Phone layout: every page of the menu, as each role, at 390×844 in Chromium.

The pages are found in the URL resolver (tests/pagewalk.py), so a page that a part adds under
/t/<tenant_slug>/ is walked as soon as it is routed. A page fails when the document scrolls
sideways (wide content must scroll inside its own box, e.g. ``.table-scroll``) or when the
header does not span the width.
"""

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from tests import pagewalk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
ROLES = ["admin", "compliance", "supervisor", "agent"]


@pytest.fixture
def demo(settings):
    """The demo data (``seed_demo``: full tables, long names) and URL samples of every part."""
    from django.contrib.auth import get_user_model

    from tenancy.models import PbxNode, Tenant

    settings.CELERY_TASK_ALWAYS_EAGER = True
    call_command("seed_demo", quiet_logins=True, stdout=io.StringIO())
    users = get_user_model().objects
    tenant = Tenant.objects.get(slug="muster")
    values = pagewalk.samples(
        tenant=tenant,
        node=PbxNode.unscoped.get(tenant=tenant, name="pbx1"),
        admin=users.get(username="muster.admin"),
        extension="201",
    )
    roles = [users.get(username=f"muster.{role}") for role in ROLES]
    return pagewalk.menu_urls(values), roles


def phone_context(browser, live_server, user, web):
    client = web(user)
    context = browser.new_context(locale="de-DE", viewport=PHONE)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


def overflow(page):
    return page.evaluate(r"""() => {
        const root = document.documentElement;
        const header = document.querySelector('header');
        // The first elements that reach past the right edge, to name in the failure.
        const wide = [];
        for (const el of document.body.querySelectorAll('*')) {
            if (wide.length >= 3) break;
            if (el.closest('.table-scroll') && !el.classList.contains('table-scroll')) continue;
            const r = el.getBoundingClientRect();
            if (r.right > root.clientWidth + 1 && r.width > 0) {
                wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                          + (el.className && el.className.baseVal === undefined
                             ? '.' + String(el.className).trim().split(/\s+/).join('.') : '')
                          + ' ' + Math.round(r.right) + 'px');
            }
        }
        return {scroll: root.scrollWidth, client: root.clientWidth, wide: wide,
                header: header ? Math.round(header.getBoundingClientRect().width) : null};
    }""")


def test_no_page_scrolls_sideways_on_a_phone(browser, live_server, web, demo):
    menu_pages, users = demo
    failures, walked = [], 0
    for user in users:
        context = phone_context(browser, live_server, user, web)
        page = context.new_page()
        for label, url in menu_pages:
            probe = context.request.get(live_server.url + url, max_redirects=0)
            if probe.status != 200 or "text/html" not in probe.headers.get("content-type", ""):
                continue  # not a page for this role: an action, JSON, a download, or refused
            page.goto(live_server.url + url)
            size = overflow(page)
            walked += 1
            if size["scroll"] > size["client"]:
                failures.append(
                    f"{user.username} {url}: page is {size['scroll']} px wide "
                    f"on a {size['client']} px screen ({', '.join(size['wide'])})"
                )
            if size["header"] != size["client"]:
                failures.append(
                    f"{user.username} {url}: header {size['header']} px of {size['client']} px"
                )
        context.close()
    assert walked >= 10, f"only {walked} pages walked"
    assert not failures, "\n".join(failures)


def test_menu_button_opens_the_navigation_on_a_phone(browser, live_server, web, tenant_a, admin_a):
    context = phone_context(browser, live_server, admin_a, web)
    page = context.new_page()
    page.goto(f"{live_server.url}/t/{tenant_a.slug}/licenses/")
    nav = page.locator("#sidenav")
    button = page.locator(".nav-toggle")
    assert button.is_visible() and not nav.is_visible()
    button.click()
    assert nav.is_visible() and button.get_attribute("aria-expanded") == "true"
    assert nav.locator("a[aria-current=page]").inner_text().strip() == "Lizenzen"
    nav.locator("a", has_text="TK-Teilnehmer").click()
    page.wait_for_url(f"{live_server.url}/t/{tenant_a.slug}/pbx-users/")
    context.close()


def test_wide_screen_shows_the_navigation_without_a_button(
    browser, live_server, web, tenant_a, admin_a
):
    context = phone_context(browser, live_server, admin_a, web)
    page = context.new_page()
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/t/{tenant_a.slug}/licenses/import/")
    assert page.locator("#sidenav").is_visible()
    assert not page.locator(".nav-toggle").is_visible()
    # A sub-page highlights its section.
    assert page.locator("#sidenav a[aria-current=page]").inner_text().strip() == "Lizenzen"
    context.close()


def test_without_script_the_phone_menu_is_a_list_and_nothing_overflows(
    browser, live_server, web, tenant_a, admin_a
):
    client = web(admin_a)
    context = browser.new_context(locale="de-DE", viewport=PHONE, java_script_enabled=False)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/t/{tenant_a.slug}/licenses/matrix/")
    assert not page.locator(".nav-toggle").is_visible()
    assert page.locator("#sidenav a", has_text="Lizenzen").is_visible()
    size = overflow(page)
    assert size["scroll"] <= size["client"], size
    context.close()


def test_csv_check_run_fits_a_phone(
    browser, live_server, web, tenant_a, admin_a, agent_ext_a, tmp_path
):
    from licensing import services

    services.set_license_pool(actor=None, tenant=tenant_a, license="monitor", quantity=2)
    csv = tmp_path / "lizenzen-mit-einem-recht-langen-dateinamen-fuer-das-telefon.csv"
    csv.write_text("201,monitor,zuweisen,Qualitätssicherung im Kundenservice Nord\n999,record\n")
    context = phone_context(browser, live_server, admin_a, web)
    page = context.new_page()
    page.goto(f"{live_server.url}/t/{tenant_a.slug}/licenses/import/")
    page.set_input_files("input[type=file]", str(csv))
    page.click("main form.form button[type=submit]")
    page.wait_for_selector("[data-testid=import-result]")
    assert "würde zugewiesen" in page.locator("[data-testid=import-result]").inner_text()
    size = overflow(page)
    assert size["scroll"] <= size["client"], size
    context.close()
