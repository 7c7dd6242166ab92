"""Tenant isolation, proven for every URL pattern (web, customer API and PBX API).

The test walks Django's resolver, so a new endpoint is covered the moment it is routed. For
each pattern with tenant-owned objects in its URL, a sample of tenant A's objects fills the
URL kwargs: tenant A's admin reaches it (not 404) and tenant B's admin gets 404 for every
method, anonymous requests are refused, and tenant B's PBX node gets 404 for tenant A's
objects under the PBX API.

Parts add samples in ``tests/<part>/isolation_samples.py``:
``def build(*, tenant, node, admin) -> dict`` returning URL kwarg name → a value naming one
of ``tenant``'s objects (e.g. ``{"recording_id": 7}``). A kwarg without a sample fails the
test, so nobody can route a new object id and forget to prove its isolation.
"""

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import tests

# Patterns outside tenants: public or provider-wide, and who may see them.
PUBLIC_NAMES = {
    "home", "health", "login", "logout", "set_language", "javascript-catalog", "schema",
    "swagger-ui", "redoc", "api-token", "logged-out",
    # The signed-in account's own two-factor pages (no tenant, no object).
    "twofactor:manage", "twofactor:enrol", "twofactor:verify", "twofactor:recovery-codes",
    # The signed-in person's own account (not per tenant); tests/tenancy/test_api_tokens.py
    # proves that a token id of another account answers 404.
    "account:password-change", "account:tokens", "account:token-revoke",
    # The person's own invitations; another account's invitation answers 404
    # (test_another_accounts_invitation_answers_404 below).
    "account:invitations", "account:invitation-accept", "account:invitation-decline",
    # The same through the API (/api/v1/me/invitations/), the same 404 (below).
    "own-invitation-list", "own-invitation-accept", "own-invitation-decline",
}
KWARG_RE = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")
METHODS = ["get", "post", "put", "patch", "delete"]


def walk(patterns=None, prefix="", namespace=""):
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from walk(entry.url_patterns, route, ns)
        elif isinstance(entry, URLPattern):
            name = entry.name
            qualified = f"{namespace}:{name}" if namespace and name else name
            yield route, qualified


def kwarg_names(route):
    return [a or b for a, b in KWARG_RE.findall(route)]


def classify(route):
    if route.startswith("admin/"):
        return "admin"
    if route.startswith("api/v1/tenants/"):
        return "tenant_api"
    if route.startswith("api/pbx/v1/"):
        return "pbx_api"
    if route.startswith("t/"):
        return "web"
    return "public"


def all_patterns():
    return [(route, name, classify(route)) for route, name in walk()]


def load_sample_builders():
    builders = []
    root = Path(tests.__file__).parent
    for module in pkgutil.iter_modules([str(root)]):
        if not module.ispkg:
            continue
        sample_file = root / module.name / "isolation_samples.py"
        if sample_file.exists():
            builders.append(importlib.import_module(f"tests.{module.name}.isolation_samples"))
    return builders


@pytest.fixture
def samples(tenant_a, node_a, admin_a, agent_ext_a):
    values = {"tenant_slug": tenant_a.slug, "extension": agent_ext_a.extension}
    for builder in load_sample_builders():
        values.update(builder.build(tenant=tenant_a, node=node_a, admin=admin_a))
    return values


def url_for(name, route, values):
    kwargs = {}
    for kwarg in kwarg_names(route):
        if kwarg not in values:
            pytest.fail(f"No isolation sample for URL kwarg {kwarg!r} of {route!r}; add it to "
                        "tests/<part>/isolation_samples.py")
        kwargs[kwarg] = values[kwarg]
    return reverse(name, kwargs=kwargs)


def test_every_pattern_is_named_and_classified():
    unnamed = [route for route, name, kind in all_patterns() if not name and kind != "admin"]
    assert not unnamed, f"name these URL patterns so the isolation test can reverse them: {unnamed}"
    stray = [name for route, name, kind in all_patterns()
             if kind == "public" and name not in PUBLIC_NAMES]
    assert not stray, f"patterns outside /t/<slug>/ and the APIs must be reviewed: {stray}"


@pytest.mark.django_db
def test_other_tenants_admin_gets_404_everywhere(samples, admin_a, admin_b, api, web):
    checked = 0
    for route, name, kind in all_patterns():
        if kind not in ("web", "tenant_api"):
            continue
        url = url_for(name, route, samples)
        client_a = web(admin_a) if kind == "web" else api(admin_a)
        client_b = web(admin_b) if kind == "web" else api(admin_b)
        own = client_a.get(url)
        assert own.status_code != 404, f"tenant A's admin cannot reach own {url}: sample wrong?"
        for method in METHODS:
            response = getattr(client_b, method)(url)
            assert response.status_code == 404, (
                f"{method.upper()} {url} as tenant B's admin answered {response.status_code}"
            )
            if kind == "tenant_api":
                assert response.json().get("code") == "not_found"
        checked += 1
    assert checked >= 4


# URL kwargs that name a kind (the same in every tenant), not one tenant's object.
TENANT_NEUTRAL_KWARGS = {"tenant_slug", "license"}
# Strings only tenant A's rows carry (fixtures and samples); none may show under tenant B.
TENANT_A_MARKERS = ["Anna Agentin", "iso-call-1", "alice"]


@pytest.fixture
def dora(tenant_a, tenant_b):
    """An account that administers both tenants: only the URL's tenant may decide what it sees."""
    from tenancy.choices import Role

    from .factories import MembershipFactory, UserFactory

    user = UserFactory(username="dora")
    MembershipFactory(tenant=tenant_a, user=user, role=Role.ADMIN)
    MembershipFactory(tenant=tenant_b, user=user, role=Role.ADMIN)
    return user


@pytest.mark.django_db
def test_two_tenant_account_sees_only_the_urls_tenant(samples, dora, tenant_b, api, web):
    """Tenant B's slug with tenant A's ids, on every URL pattern, as an admin of both.

    Objects of A answer 404 under B's slug; lists and pages under B's slug show none of A's
    rows. A view that forgets the tenant (``for_actor(actor)``, or any query over all the
    account's tenants) fails here, while the one-tenant tests above still pass.
    """
    checked = 0
    b_values = {**samples, "tenant_slug": tenant_b.slug}
    for route, name, kind in all_patterns():
        if kind not in ("web", "tenant_api"):
            continue
        client = web(dora) if kind == "web" else api(dora)
        own = client.get(url_for(name, route, samples))
        assert own.status_code != 404, f"dora cannot reach tenant A's {route}: sample wrong?"
        url = url_for(name, route, b_values)
        names_object = set(kwarg_names(route)) - TENANT_NEUTRAL_KWARGS
        statuses = []
        for method in METHODS if names_object else ["get"]:
            response = getattr(client, method)(url)
            statuses.append(response.status_code)
            if names_object:
                # 405: B's admin may learn that the method does not exist, nothing more.
                assert response.status_code in (404, 405), (
                    f"{method.upper()} {url} (tenant A's ids under B) answered "
                    f"{response.status_code}")
            body = b"".join(response.streaming_content) if response.streaming else (
                response.content)
            text = body.decode("utf-8", "replace").replace(url, "")  # an echo of the URL
            leaked = [marker for marker in TENANT_A_MARKERS if marker in text]
            assert not leaked, f"{method.upper()} {url} shows tenant A's {leaked}"
        assert not names_object or 404 in statuses, f"{url}: no method looked the object up"
        checked += 1
    assert checked >= 10


@pytest.mark.django_db
def test_a_marker_is_visible_under_its_own_tenant(samples, dora, tenant_a, web):
    # The markers above are real: under tenant A's slug, A's pages show them.
    text = web(dora).get(f"/t/{tenant_a.slug}/pbx-users/").content.decode()
    assert "Anna Agentin" in text


@pytest.mark.django_db
def test_anonymous_is_refused_everywhere(samples, api, web):
    for route, name, kind in all_patterns():
        if kind == "public" or kind == "admin":
            continue
        url = url_for(name, route, samples)
        for method in METHODS:
            if kind == "web":
                response = getattr(web(), method)(url)
                assert response.status_code in (302, 403, 404, 405), (method, url)
                if method == "get":
                    assert response.status_code == 302 and "/login/" in response["Location"], url
            else:
                response = getattr(api(), method)(url)
                assert response.status_code in (401, 403), (
                    f"{method.upper()} {url} anonymously answered {response.status_code}"
                )


@pytest.mark.django_db
def test_other_tenants_node_gets_404_for_this_tenants_objects(samples, node_b, pbx_api):
    client = pbx_api(node_b)
    for route, name, kind in all_patterns():
        if kind != "pbx_api" or not kwarg_names(route):
            continue
        url = url_for(name, route, samples)
        for method in METHODS:
            response = getattr(client, method)(url)
            assert response.status_code in (404, 405), (
                f"{method.upper()} {url} as tenant B's node answered {response.status_code}"
            )
            if response.status_code == 405:
                continue
            assert response.json().get("code") == "not_found"


@pytest.mark.django_db
def test_pbx_api_refuses_portal_accounts_and_bad_tokens(samples, admin_a, api):
    from rest_framework.test import APIClient

    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    for route, name, kind in all_patterns():
        if kind != "pbx_api":
            continue
        url = url_for(name, route, samples)
        assert api(admin_a).get(url).status_code in (401, 403), url
        assert bad.get(url).status_code == 401, url


@pytest.mark.django_db
def test_another_accounts_invitation_answers_404(samples, tenant_a, admin_a, admin_b, agent_a,
                                                  web, api):
    """An invitation is answered only by the account it names: for anyone else, tenant A's
    admin who made it included, its accept and decline URLs answer 404 for every method."""
    from tenancy.models import Invitation

    invitation = Invitation.unscoped.get(pk=samples["invitation_id"])
    invitation.account = admin_b
    invitation.save(update_fields=["account"])
    for name in ("account:invitation-accept", "account:invitation-decline"):
        url = reverse(name, kwargs={"invitation_id": invitation.pk})
        for user in (admin_a, agent_a):
            for method in METHODS:
                response = getattr(web(user), method)(url)
                assert response.status_code in (404, 405), (method, url, user)
            assert web(user).post(url).status_code == 404
        for user in (admin_a, agent_a):
            url = reverse(f"own-invitation-{name.rsplit('-', 1)[1]}",
                          kwargs={"invitation_id": invitation.pk})
            for method in METHODS:
                response = getattr(api(user), method)(url)
                assert response.status_code in (404, 405), (method, url, user)
            assert api(user).post(url).json()["code"] == "not_found"
    invitation.refresh_from_db()
    assert invitation.accepted_at is None and invitation.declined_at is None
    assert "iso-invitee" not in web(agent_a).get(reverse("account:invitations")).content.decode()
    assert api(agent_a).get(reverse("own-invitation-list")).json()["results"] == []


@pytest.mark.django_db
def test_admin_site_is_for_provider_staff_only(samples, admin_a, web):
    response = web(admin_a).get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
