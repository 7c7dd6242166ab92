"""Two-factor login: who needs it, enrolment, sign-in with code or recovery code, admin reset."""

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from audit.models import AuditEvent
from audit.services import update_compliance_settings
from tests.conftest import authenticator, totp_code
from twofactor.policy import requires_two_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_throttle(settings):
    """django-otp slows down retries after a wrong code (tested below); these tests retry
    at once."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def _actions(tenant):
    return list(AuditEvent.unscoped.filter(tenant=tenant, action__startswith="twofactor.")
                .order_by("seq").values_list("action", flat=True))


def _logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_admins_and_compliance_need_it_members_only_when_the_tenant_says(
        tenant_a, admin_a, compliance_a, agent_a, supervisor_a):
    assert requires_two_factor(admin_a) and requires_two_factor(compliance_a)
    assert not requires_two_factor(agent_a) and not requires_two_factor(supervisor_a)
    update_compliance_settings(actor=admin_a, tenant=tenant_a, require_2fa_for_all=True)
    assert requires_two_factor(agent_a) and requires_two_factor(supervisor_a)
    event = AuditEvent.unscoped.filter(tenant=tenant_a, action="audit.settings_changed").get()
    assert event.data == {"before": {"require_2fa_for_all": False},
                          "after": {"require_2fa_for_all": True}}


def test_unverified_admin_is_sent_to_enrol_and_api_session_is_refused(tenant_a, admin_a):
    client = _logged_in(admin_a)
    response = client.get(f"/t/{tenant_a.slug}/pbx-users/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/2fa/enrol/?next=/t/alpha/pbx-users/")
    api = client.get(f"/api/v1/tenants/{tenant_a.slug}/pbx-users/")
    assert api.status_code == 403 and api.json()["code"] == "two_factor_required"
    assert client.post("/logout/").status_code == 302


def test_member_without_requirement_is_not_stopped(tenant_a, agent_a):
    assert _logged_in(agent_a).get(f"/t/{tenant_a.slug}/").status_code == 200


def test_api_token_is_not_affected(tenant_a, admin_a, password):
    token = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": password})
    assert token.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert client.get(f"/api/v1/tenants/{tenant_a.slug}/pbx-users/").status_code == 200


def test_enrolment_shows_a_local_qr_code_and_confirms_with_a_code(tenant_a, admin_a,
                                                                  no_throttle):
    client = _logged_in(admin_a)
    page = client.get("/account/2fa/enrol/")
    assert page.status_code == 200 and b"<svg" in page.content
    device = TOTPDevice.objects.get(user=admin_a, confirmed=False)
    wrong = client.post("/account/2fa/enrol/", {"token": "000000" if totp_code(device) != "000000"
                                                else "111111"})
    assert wrong.status_code == 200 and b'role="alert"' in wrong.content
    done = client.post("/account/2fa/enrol/", {"token": totp_code(device),
                                               "next": "/t/alpha/"})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and all(code.encode() in done.content for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(f"/t/{tenant_a.slug}/").status_code == 200  # this session is verified
    assert _actions(tenant_a) == ["twofactor.enrolled"]


def test_a_second_session_must_verify_and_a_recovery_code_works_once(tenant_a, admin_a,
                                                                     no_throttle):
    device = authenticator(admin_a)
    client = _logged_in(admin_a)
    codes = client.post("/account/2fa/recovery-codes/")
    assert codes.status_code in (302, 403)  # renewing needs a verified session
    response = client.get(f"/t/{tenant_a.slug}/")
    assert response["Location"].startswith("/account/2fa/verify/")
    # An unverified session cannot enrol a new phone instead of verifying.
    assert client.get("/account/2fa/enrol/")["Location"].startswith("/account/2fa/verify/")
    assert client.post("/account/2fa/verify/", {"token": "12345678"}).status_code == 400
    assert client.post("/account/2fa/verify/", {"token": totp_code(device),
                                                "next": "/t/alpha/"})["Location"] == "/t/alpha/"
    renewed = client.post("/account/2fa/recovery-codes/")
    code = renewed.context["codes"][0]

    other = _logged_in(admin_a)
    assert other.post("/account/2fa/verify/", {"token": code}).status_code == 302
    assert other.get(f"/t/{tenant_a.slug}/").status_code == 200
    third = _logged_in(admin_a)
    assert third.post("/account/2fa/verify/", {"token": code}).status_code == 400
    assert StaticToken.objects.filter(device__user=admin_a).count() == 9
    assert _actions(tenant_a) == ["twofactor.failed", "twofactor.verified",
                                  "twofactor.recovery_codes_renewed",
                                  "twofactor.recovery_code_used", "twofactor.failed"]


def test_another_admin_resets_a_lost_phone(tenant_a, admin_a, compliance_a, web):
    authenticator(compliance_a)
    from tenancy.models import Membership

    target = Membership.unscoped.get(tenant=tenant_a, user=compliance_a)
    url = f"/t/{tenant_a.slug}/accounts/{target.pk}/two-factor-reset/"
    assert web(compliance_a).post(url).status_code == 403  # not an admin
    assert web(admin_a).post(url).status_code == 302
    assert not TOTPDevice.objects.filter(user=compliance_a).exists()
    event = AuditEvent.unscoped.filter(tenant=tenant_a, action="twofactor.reset").get()
    assert event.actor_label == "alice" and event.data["username"] == "carla"
    # The next sign-in must enrol again.
    assert _logged_in(compliance_a).get(f"/t/{tenant_a.slug}/")["Location"].startswith(
        "/account/2fa/enrol/")
    own = Membership.unscoped.get(tenant=tenant_a, user=admin_a)
    web(admin_a).post(f"/t/{tenant_a.slug}/accounts/{own.pk}/two-factor-reset/")
    assert TOTPDevice.objects.filter(user=admin_a, confirmed=True).exists()


def test_a_wrong_code_throttles_the_next_attempt(tenant_a, admin_a):
    device = authenticator(admin_a)
    client = _logged_in(admin_a)
    wrong = "000000" if totp_code(device) != "000000" else "111111"
    assert client.post("/account/2fa/verify/", {"token": wrong}).status_code == 400
    # Right code, but straight after a failure: refused until the back-off has passed.
    assert client.post("/account/2fa/verify/", {"token": totp_code(device)}).status_code == 400
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # the throttled attempt is not even tried


def test_an_account_of_other_tenants_too_keeps_its_second_factor(tenant_a, tenant_b, admin_a,
                                                                 admin_b, web):
    """Tenant A's admin cannot strip the second factor of an account that is also tenant B's
    admin (it would open tenant B to whoever then signs in as it)."""
    from tenancy.models import Membership
    from tests.factories import MembershipFactory

    authenticator(admin_b)
    MembershipFactory(tenant=tenant_a, user=admin_b, role="compliance")
    target = Membership.unscoped.get(tenant=tenant_a, user=admin_b)
    url = f"/t/{tenant_a.slug}/accounts/{target.pk}/two-factor-reset/"
    client = web(admin_a)
    page = client.get(url).content.decode()
    assert 'data-testid="sign-in-not-resettable"' in page and 'data-testid="reset-2fa"' not in page
    assert client.post(url).status_code == 302
    assert TOTPDevice.objects.filter(user=admin_b, confirmed=True).exists()
    assert not AuditEvent.unscoped.filter(action="twofactor.reset").exists()


def test_an_enrolled_account_gets_an_api_token_only_with_its_code(tenant_a, admin_a, password,
                                                                  no_throttle):
    """The token endpoint asks an account that has set up two-factor login for its code, as
    the menu does: a stolen password alone opens neither."""
    device = authenticator(admin_a)
    recovery = StaticToken.objects.create(
        device=admin_a.staticdevice_set.get_or_create(name="recovery codes",
                                                      defaults={"confirmed": True})[0],
        token="abcd1234efgh")
    url = "/api/v1/auth/token/"
    missing = APIClient().post(url, {"username": "alice", "password": password})
    assert missing.status_code == 400 and missing.json()["code"] == "two_factor_code_required"
    wrong = "000000" if totp_code(device) != "000000" else "111111"
    refused = APIClient().post(url, {"username": "alice", "password": password, "otp": wrong})
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_two_factor_code"
    assert AuditEvent.unscoped.filter(tenant=tenant_a, action="twofactor.failed").count() == 1
    granted = APIClient().post(url, {"username": "alice", "password": password,
                                     "otp": totp_code(device)})
    assert granted.status_code == 200, granted.json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {granted.json()['token']}")
    assert client.get(f"/api/v1/tenants/{tenant_a.slug}/pbx-users/").status_code == 200
    # A recovery code does too, once.
    by_code = APIClient().post(url, {"username": "alice", "password": password,
                                     "otp": recovery.token})
    assert by_code.status_code == 200
    again = APIClient().post(url, {"username": "alice", "password": password,
                                   "otp": recovery.token})
    assert again.status_code == 400 and again.json()["code"] == "invalid_two_factor_code"
    # A wrong password says nothing about the second factor.
    bad = APIClient().post(url, {"username": "alice", "password": "not-it", "otp": "123456"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_credentials"


def test_provider_staff_need_it_for_the_admin_and_can_enrol(django_user_model, no_throttle):
    """Provider staff reach every tenant through the Django admin: a second factor always,
    membership or not."""
    staff = django_user_model.objects.create_superuser("operator", "op@example.net", "pw-12345")
    plain_staff = django_user_model.objects.create_user("helpdesk", password="pw-12345",
                                                        is_staff=True)
    assert requires_two_factor(staff) and requires_two_factor(plain_staff)
    client = _logged_in(staff)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/2fa/enrol/?next=/admin/")
    page = client.get("/account/2fa/enrol/")
    assert page.status_code == 200 and b"<svg" in page.content
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    done = client.post("/account/2fa/enrol/", {"token": totp_code(device), "next": "/admin/"})
    assert done.status_code == 200 and len(done.context["codes"]) == 10
    assert client.get("/admin/").status_code == 200
    enrolled = AuditEvent.unscoped.filter(action="twofactor.enrolled").get()
    assert enrolled.actor_label == "operator"
