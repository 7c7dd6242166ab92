"""No page of the product loads anything from another host: every menu page (found in the URL
resolver), the API docs (Swagger UI; /api/redoc/ redirects there) and the login page. Checked
twice: the HTML names no other host in a src or href, and Chromium, recording every request
while the page loads and settles, asks no host but the test server."""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from tests import pagewalk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK_RE = re.compile(r"""(?:src|href|srcset|action)\s*=\s*["']([^"']+)["']""", re.I)
OWN_HOSTS = {"127.0.0.1", "localhost", "testserver", ""}


@pytest.fixture
def product_pages(tenant_a, node_a, admin_a, agent_ext_a):
    values = pagewalk.samples(
        tenant=tenant_a, node=node_a, admin=admin_a, extension=agent_ext_a.extension
    )
    return [url for _label, url in pagewalk.menu_urls(values)] + ["/api/docs/", "/api/redoc/"]


def foreign_links(html):
    found = []
    for link in LINK_RE.findall(html):
        link = link.strip()
        absolute = "http:" + link if link.startswith("//") else link
        if re.match(r"https?://", absolute, re.I) and urlsplit(absolute).hostname not in OWN_HOSTS:
            found.append(link)
    return found


def test_html_names_no_other_host(web, admin_a, product_pages):
    client = web(admin_a)
    failures, checked = [], 0
    for url in product_pages:
        response = client.get(url)
        if not pagewalk.is_page(response):
            continue
        checked += 1
        failures += [f"{url}: {link}" for link in foreign_links(response.content.decode())]
    login = web().get("/login/")
    failures += [f"/login/: {link}" for link in foreign_links(login.content.decode())]
    assert checked >= 8
    assert not failures, "\n".join(failures)


def test_chromium_requests_nothing_from_another_host(
    browser, live_server, web, admin_a, product_pages
):
    context = browser.new_context(locale="de-DE")
    requests = []
    context.on("request", lambda request: requests.append((page_url[0], request.url)))
    page_url = ["/login/"]
    page = context.new_page()
    page.goto(live_server.url + "/login/")
    page.wait_for_load_state("networkidle")
    client = web(admin_a)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    visited = 0
    for url in product_pages:
        probe = context.request.get(live_server.url + url, max_redirects=0)
        if probe.status != 200 or "text/html" not in probe.headers.get("content-type", ""):
            continue
        page_url[0] = url
        page.goto(live_server.url + url)
        page.wait_for_load_state("networkidle")
        visited += 1
    # The docs pages did render their API description (the scripts ran).
    page.goto(live_server.url + "/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=20000)
    assert "/api/v1/tenants/<slug>/" in page.locator(".swagger-ui .info").inner_text()
    page.goto(live_server.url + "/api/redoc/")  # dropped: Redoc fetches its logo from a CDN
    assert page.url == live_server.url + "/api/docs/"
    context.close()
    foreign = sorted(
        {
            f"{on}: {url}"
            for on, url in requests
            if urlsplit(url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(url).hostname not in OWN_HOSTS
        }
    )
    assert visited >= 8
    assert not foreign, "\n".join(foreign)
