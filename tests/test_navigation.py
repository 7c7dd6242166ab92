"""The menu shell: the side menu highlights the section of every page, the tenant switcher keeps
the page where it exists in the other tenant, the header offers the API docs, and the logo,
favicon and icons are served from here."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from tenancy.choices import Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultant(admin_a, tenant_b):
    """Alice, admin of tenant A, is a compliance officer in tenant B."""
    MembershipFactory(tenant=tenant_b, user=admin_a, role=Role.COMPLIANCE)
    return admin_a


def switch_links(html):
    menu = re.search(r'<details class="dropdown tenant-switcher"[^>]*>(.*?)</details>', html, re.S)
    assert menu, "no tenant switcher"
    return {
        name: url for url, name in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', menu.group(1))
    }


def test_switching_tenant_keeps_the_page_where_it_exists(web, consultant, tenant_a, tenant_b):
    html = web(consultant).get("/t/alpha/licenses/matrix/").content.decode()
    assert switch_links(html)[tenant_b.name] == "/t/beta/licenses/matrix/"
    assert switch_links(html)[tenant_a.name] == "/t/alpha/licenses/matrix/"


def test_switching_tenant_from_an_objects_page_opens_the_overview(
    web, consultant, tenant_b, agent_ext_a
):
    html = web(consultant).get("/t/alpha/licenses/users/201/").content.decode()
    assert switch_links(html)[tenant_b.name] == "/t/beta/"


def test_switching_to_a_tenant_where_the_role_lacks_the_page_opens_the_overview(
    web, consultant, tenant_b
):
    # Portal accounts are for administrators; Alice is compliance officer in tenant B.
    html = web(consultant).get("/t/alpha/accounts/").content.decode()
    assert switch_links(html)[tenant_b.name] == "/t/beta/"


def test_header_links_the_api_docs_and_the_account_pages_once_they_exist(web, admin_a):
    html = web(admin_a).get("/t/alpha/").content.decode()
    assert 'href="/api/docs/"' in html
    assert 'class="dropdown user-menu"' in html


def test_logo_favicon_and_icon_sprite_are_local(web, admin_a):
    html = web(admin_a).get("/t/alpha/").content.decode()
    assert re.search(r'<link rel="icon" href="/static/img/favicon\.svg"', html)
    assert 'src="/static/img/logo.svg"' in html
    for name in (
        "img/logo.svg",
        "img/favicon.svg",
        "icons/lucide-sprite.svg",
        "icons/LICENSE-lucide.txt",
    ):
        assert finders.find(name), name
    sprite = Path(finders.find("icons/lucide-sprite.svg")).read_text(encoding="utf-8")
    used = set(re.findall(r"#i-([\w-]+)", html))
    defined = set(re.findall(r'<symbol id="i-([\w-]+)"', sprite))
    assert used and used <= defined, used - defined


def test_no_inline_script_in_the_menu_shell(web, admin_a):
    html = web(admin_a).get("/t/alpha/licenses/").content.decode()
    # Data for scripts may sit in <script type="application/json"> (json_script).
    assert not re.search(r'<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>', html)
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert "javascript:" not in html


@pytest.mark.parametrize(
    ("path", "current"),
    [("/t/alpha/", "/t/alpha/"), ("/t/alpha/pbx-users/new/", "/t/alpha/pbx-users/")],
)
def test_side_menu_highlights_the_section_and_the_overview_only_on_itself(
    web, admin_a, path, current
):
    html = web(admin_a).get(path).content.decode()
    nav = html[html.index('<nav class="sidenav"') :]
    nav = nav[: nav.index("</nav>")]
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', nav) == [current]
