"""Shared personas and infrastructure.

Tenant A ("alpha") has an admin, a compliance officer, a supervisor (extension 210) and an
agent (member, extension 201); tenant B ("beta") has an admin who must see nothing of A.

Infrastructure fixtures talk to real services: ``s3`` (moto_server over HTTP, started here
unless ``S3_ENDPOINT_URL`` is set), ``browser`` (Debian's Chromium via Playwright). Tests marked
``postgres`` skip on SQLite locally but fail in CI (``CI=true``) when PostgreSQL is missing.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from rest_framework.test import APIClient

from tenancy.choices import ClientType, Role

from .factories import (
    PASSWORD,
    MembershipFactory,
    PbxNodeFactory,
    PbxUserFactory,
    TenantFactory,
    UserFactory,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright runs an event loop
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_pg = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    for item in items:
        if "postgres" in item.keywords and not on_pg:
            if IN_CI:
                item.add_marker(pytest.mark.xfail(reason="CI must run on PostgreSQL", strict=True,
                                                  run=False))
            else:
                item.add_marker(pytest.mark.skip(reason="needs DATABASE_URL=postgres://..."))


def _plain_http(target):
    # Production settings (DEBUG off) are kept, but the test client and the live server (whose
    # middleware is built once per session) speak plain HTTP.
    target.SECURE_SSL_REDIRECT = False
    target.SESSION_COOKIE_SECURE = False
    target.CSRF_COOKIE_SECURE = False
    target.SECURE_HSTS_SECONDS = 0


_plain_http(django_settings)


def _own_cache(target):
    # Each test process (each pytest-xdist worker) gets its own cache: login throttling counts
    # failures in the cache, and workers sharing one would throttle each other's tests.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    location = Path(django_settings.VAR_DIR) / "test-cache" / f"{worker}-{os.getpid()}"
    target.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(location), "OPTIONS": {"MAX_ENTRIES": 100000},
    }}


_own_cache(django_settings)


@pytest.fixture(autouse=True)
def _plain_http_and_clean_cache(settings):
    _plain_http(settings)
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _express_lane_not_paused(monkeypatch):
    """A test whose store failed pauses the express lane for the process (by design); the
    next test starts without that pause."""
    from recordings.ingest import express

    monkeypatch.setattr(express, "_storage_paused_until", 0.0)


# --- personas -------------------------------------------------------------------------------
@pytest.fixture
def tenant_a(db):
    return TenantFactory(slug="alpha", name="Alpha Callcenter GmbH")


@pytest.fixture
def tenant_b(db):
    return TenantFactory(slug="beta", name="Beta Versand AG")


def _persona(tenant, username, role, pbx_user=None):
    user = UserFactory(username=username)
    MembershipFactory(tenant=tenant, user=user, role=role, pbx_user=pbx_user)
    return user


@pytest.fixture
def agent_ext_a(tenant_a):
    return PbxUserFactory(tenant=tenant_a, extension="201", display_name="Anna Agentin",
                          client_type=ClientType.SOFTPHONE_USB)


@pytest.fixture
def supervisor_ext_a(tenant_a):
    return PbxUserFactory(tenant=tenant_a, extension="210", display_name="Sven Supervisor",
                          client_type=ClientType.DESKPHONE)


@pytest.fixture
def admin_a(tenant_a):
    return _persona(tenant_a, "alice", Role.ADMIN)


@pytest.fixture
def compliance_a(tenant_a):
    return _persona(tenant_a, "carla", Role.COMPLIANCE)


@pytest.fixture
def supervisor_a(tenant_a, supervisor_ext_a):
    return _persona(tenant_a, "sven", Role.SUPERVISOR, supervisor_ext_a)


@pytest.fixture
def agent_a(tenant_a, agent_ext_a):
    return _persona(tenant_a, "anna", Role.MEMBER, agent_ext_a)


@pytest.fixture
def admin_b(tenant_b):
    return _persona(tenant_b, "bob", Role.ADMIN)


@pytest.fixture
def node_a(tenant_a):
    return PbxNodeFactory(tenant=tenant_a, name="pbx-a")


@pytest.fixture
def node_b(tenant_b):
    return PbxNodeFactory(tenant=tenant_b, name="pbx-b")


@pytest.fixture
def password():
    return PASSWORD


# --- clients --------------------------------------------------------------------------------
def authenticator(user):
    """The account's confirmed TOTP device (enrolled on first use), as a phone app would hold."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def totp_code(device):
    """The code the authenticator app shows now for ``device``."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def wait_until(page, expression: str, timeout: float = 10.0):
    """Poll ``expression`` in the page until it is truthy (``page.wait_for_function`` evaluates
    a string inside the page, which the Content-Security-Policy forbids; ``page.evaluate``
    goes through the browser's debugging protocol and is allowed)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s: {expression}")
        page.wait_for_timeout(100)


def browser_log_in(page, live_server, username, password, target=None, *, goto=True):
    """Sign in through the real login page in Chromium, as a person would: the password, then
    the code of the account's authenticator when the account needs a second factor; waits
    until the browser is at ``target`` (a path) when given. ``goto=False`` when the page is
    on the login form already."""
    from django.contrib.auth import get_user_model

    from twofactor.policy import requires_two_factor

    user = get_user_model().objects.get(username=username)
    device = authenticator(user) if requires_two_factor(user) else None
    if goto:
        page.goto(f"{live_server.url}/login/" + (f"?next={target}" if target else ""))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    # Wait for the navigation itself: the old page's load state would answer at once.
    page.wait_for_url(lambda url: "/login/" not in url)
    if device is not None:
        page.wait_for_url(f"{live_server.url}/account/2fa/verify/**")
        page.fill("#id_token", totp_code(device))
        page.click("main form button.primary")
        page.wait_for_url(lambda url: "/account/2fa/verify/" not in url)
    if target:
        page.wait_for_url(f"{live_server.url}{target}")
    page.wait_for_load_state()


@pytest.fixture
def _sign_in():
    """Log a test client in. An account that needs a second factor (admins, compliance
    officers) confirms its authenticator's code on the real verify page, once per test; later
    clients of the same account share that verified session."""
    from django.conf import settings

    from twofactor.policy import requires_two_factor

    verified_sessions = {}

    def sign_in(client, user):
        if user.pk in verified_sessions:
            client.cookies[settings.SESSION_COOKIE_NAME] = verified_sessions[user.pk]
            return client
        client.force_login(user)
        if requires_two_factor(user):
            response = client.post("/account/2fa/verify/",
                                   {"token": totp_code(authenticator(user))})
            assert response.status_code == 302, "the persona's second factor was refused"
            verified_sessions[user.pk] = client.cookies[settings.SESSION_COOKIE_NAME].value
        return client

    return sign_in


@pytest.fixture
def api(_sign_in):
    """``api(user)`` → an APIClient logged in as ``user`` (session auth); ``api()`` anonymous."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            _sign_in(client, user)
        return client

    return make


@pytest.fixture
def pbx_api():
    """``pbx_api(node)`` → an APIClient sending the node's bearer token."""

    def make(node):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {node.plain_token}")
        return client

    return make


@pytest.fixture
def web(_sign_in):
    """``web(user)`` → Django's test client logged in as ``user``."""

    def make(user=None):
        from django.test import Client

        c = Client()
        if user is not None:
            _sign_in(c, user)
        return c

    return make


# --- S3 over HTTP ---------------------------------------------------------------------------
def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """An S3 endpoint URL: ``S3_ENDPOINT_URL`` when set (CI), else a moto_server started here."""
    if os.environ.get("S3_ENDPOINT_URL"):
        yield os.environ["S3_ENDPOINT_URL"]
        return
    port = _free_port()
    moto = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    proc = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def s3(settings, s3_endpoint):
    """Point the recordings storage at a fresh bucket on the S3 endpoint; yields a boto3 client."""
    import uuid

    import boto3

    bucket = f"test-{uuid.uuid4().hex[:12]}"
    access = os.environ.get("S3_ACCESS_KEY_ID", "test")
    secret = os.environ.get("S3_SECRET_ACCESS_KEY", "test")
    region = os.environ.get("S3_REGION", "eu-central-1")
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=region,
                          aws_access_key_id=access, aws_secret_access_key=secret)
    client.create_bucket(Bucket=bucket,
                         CreateBucketConfiguration={"LocationConstraint": region})
    settings.S3_BUCKET = bucket
    settings.S3_ENDPOINT_URL = s3_endpoint
    settings.S3_REGION = region
    settings.S3_ACCESS_KEY_ID = access
    settings.S3_SECRET_ACCESS_KEY = secret
    # moto keeps the x-amz-checksum-sha256 of a PUT without checking it: the worker hashes
    # the staged bytes itself, as it would for such a store in production.
    settings.S3_VERIFIES_CHECKSUMS = False
    # The test files are small: they take the overlapped upload that production keeps for
    # files of INGEST_OVERLAP_MIN_BYTES and more (test_pending_deletions checks the threshold).
    settings.INGEST_OVERLAP_MIN_BYTES = 0
    settings.STORAGES = {
        **settings.STORAGES,
        "recordings": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket, "endpoint_url": s3_endpoint, "region_name": region,
                "access_key": access, "secret_key": secret, "file_overwrite": False,
                "default_acl": None,
                "object_parameters": {"ServerSideEncryption": "AES256"},
            },
        },
    }
    client.bucket_name = bucket
    yield client


# --- browser --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail("Debian's chromium is required in CI (make sysdeps installs it)")
        pytest.skip("chromium is not installed (make sysdeps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                  "--disable-component-update", "--no-first-run",
                  "--autoplay-policy=no-user-gesture-required"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="de-DE")
    pg = context.new_page()
    pg.set_default_timeout(10000)
    yield pg
    context.close()
