"""Services: pools, assignment without over-assignment, revocation with history, audit."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from audit.chain import verify
from licensing import exceptions, selectors, services
from licensing.models import LicenseAssignment, LicensePool

from .conftest import events

pytestmark = pytest.mark.django_db


# --- pools ----------------------------------------------------------------------------------
def test_set_license_pool_creates_and_audits(tenant_a, admin_a):
    pool = services.set_license_pool(actor=admin_a, tenant=tenant_a, license="monitor",
                                     quantity=5, valid_until=datetime.date(2030, 12, 31))
    assert (pool.quantity, pool.valid_until) == (5, datetime.date(2030, 12, 31))
    [event] = events(tenant_a, "license_pool.set")
    assert event.actor_label == "alice"
    assert event.data["before"] is None
    assert event.data["after"] == {"quantity": 5, "valid_from": None,
                                   "valid_until": "2030-12-31"}


def test_set_license_pool_again_with_same_values_changes_and_audits_nothing(tenant_a):
    services.set_license_pool(actor=None, tenant=tenant_a, license="record", quantity=3)
    services.set_license_pool(actor=None, tenant=tenant_a, license="record", quantity=3)
    assert len(events(tenant_a, "license_pool.set")) == 1
    services.set_license_pool(actor=None, tenant=tenant_a, license="record", quantity=4)
    [_, change] = events(tenant_a, "license_pool.set")
    assert change.data["before"]["quantity"] == 3 and change.data["after"]["quantity"] == 4
    assert LicensePool.unscoped.filter(tenant=tenant_a).count() == 1


@pytest.mark.parametrize(("kwargs", "field", "code"), [
    ({"license": "gold"}, "license", "invalid_license"),
    ({"quantity": -1}, "quantity", "invalid_quantity"),
    ({"quantity": "many"}, "quantity", "invalid_quantity"),
    ({"valid_from": "2030-02-01", "valid_until": "2030-01-01"}, "valid_until",
     "invalid_validity"),
    ({"valid_until": "31.12.2030"}, "valid_until", "invalid_date"),
])
def test_set_license_pool_refuses_bad_input(tenant_a, kwargs, field, code):
    arguments = {"license": "monitor", "quantity": 1, **kwargs}
    with pytest.raises(ValidationError) as info:
        services.set_license_pool(actor=None, tenant=tenant_a, **arguments)
    assert info.value.error_dict[field][0].code == code
    assert not LicensePool.unscoped.filter(tenant=tenant_a).exists()


def test_pool_cannot_drop_below_the_licences_in_use(tenant_a, agent_ext_a, monitor_pool):
    services.assign_license(actor=None, tenant=tenant_a, extension="201", license="monitor")
    with pytest.raises(ValidationError) as info:
        services.set_license_pool(actor=None, tenant=tenant_a, license="monitor", quantity=0)
    assert info.value.error_dict["quantity"][0].code == "quantity_below_used"
    assert LicensePool.unscoped.get(pk=monitor_pool.pk).quantity == 2


# --- assignment -----------------------------------------------------------------------------
def test_assign_license_records_who_when_why_and_audits(tenant_a, admin_a, agent_ext_a,
                                                        monitor_pool):
    assignment = services.assign_license(actor=admin_a, tenant=tenant_a, extension="201",
                                         license="monitor", reason="quality assurance")
    assert assignment.is_active
    assert assignment.assigned_by == "alice"
    assert assignment.assign_reason == "quality assurance"
    assert assignment.assigned_at is not None
    [event] = events(tenant_a, "license.assigned")
    assert event.object_id == str(assignment.pk)
    assert event.data == {"extension": "201", "license": "monitor",
                          "reason": "quality assurance", "used": 1, "quantity": 2}
    assert verify(tenant_a).ok


def test_assign_license_refuses_when_pool_exhausted(tenant_a, make_user, monitor_pool):
    for ext in ("301", "302"):
        services.assign_license(actor=None, tenant=tenant_a, pbx_user=make_user(ext),
                                license="monitor")
    with pytest.raises(exceptions.PoolExhausted) as info:
        services.assign_license(actor=None, tenant=tenant_a, pbx_user=make_user("303"),
                                license="monitor")
    assert info.value.code == "pool_exhausted"
    assert selectors.used_count(tenant=tenant_a, license="monitor") == 2
    assert len(events(tenant_a, "license.assigned")) == 2


def test_assign_license_refuses_a_licence_the_user_holds(tenant_a, agent_ext_a, monitor_pool):
    services.assign_license(actor=None, tenant=tenant_a, extension="201", license="monitor")
    with pytest.raises(exceptions.AlreadyAssigned) as info:
        services.assign_license(actor=None, tenant=tenant_a, extension="201", license="monitor")
    assert info.value.code == "already_assigned"


def test_already_assigned_wins_over_an_exhausted_pool(tenant_a, tenant_b, agent_ext_a):
    services.set_license_pool(actor=None, tenant=tenant_a, license="record", quantity=1)
    services.assign_license(actor=None, tenant=tenant_a, extension="201", license="record")
    with pytest.raises(exceptions.AlreadyAssigned):
        services.assign_license(actor=None, tenant=tenant_a, extension="201", license="record")


def test_partial_unique_constraint_is_the_second_guard(tenant_a, agent_ext_a):
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    LicenseAssignment.unscoped.create(tenant=tenant_a, pbx_user=agent_ext_a, license="record",
                                      assigned_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        LicenseAssignment.unscoped.create(tenant=tenant_a, pbx_user=agent_ext_a,
                                          license="record", assigned_at=timezone.now())


@pytest.mark.parametrize(("valid_from", "valid_until", "word"), [
    (None, -1, "expired"),
    (1, None, "valid from"),
])
def test_expired_or_future_pool_counts_as_zero(tenant_a, agent_ext_a, today, valid_from,
                                                valid_until, word):
    def day(offset):
        return None if offset is None else today + datetime.timedelta(days=offset)

    services.set_license_pool(actor=None, tenant=tenant_a, license="monitor", quantity=5,
                              valid_from=day(valid_from), valid_until=day(valid_until))
    with translation.override("en"), pytest.raises(exceptions.PoolExhausted) as info:
        services.assign_license(actor=None, tenant=tenant_a, extension="201", license="monitor")
    assert word in info.value.detail
    usage = {u.license: u for u in selectors.pool_usage(tenant=tenant_a)}["monitor"]
    assert usage.effective_quantity == 0 and usage.available == 0


def test_pool_valid_through_its_last_day(tenant_a, agent_ext_a, today):
    services.set_license_pool(actor=None, tenant=tenant_a, license="monitor", quantity=1,
                              valid_from=today, valid_until=today)
    assert services.assign_license(actor=None, tenant=tenant_a, extension="201",
                                   license="monitor").is_active


def test_no_pool_means_pool_exhausted(tenant_a, agent_ext_a):
    with pytest.raises(exceptions.PoolExhausted):
        services.assign_license(actor=None, tenant=tenant_a, extension="201", license="record")


def test_unknown_extension_and_licence(tenant_a, tenant_b, monitor_pool):
    from tests.factories import PbxUserFactory

    with pytest.raises(exceptions.UnknownExtension):
        services.assign_license(actor=None, tenant=tenant_a, extension="999", license="monitor")
    other = PbxUserFactory(tenant=tenant_b, extension="201")
    with pytest.raises(exceptions.UnknownExtension):
        services.assign_license(actor=None, tenant=tenant_a, pbx_user=other, license="monitor")
    with pytest.raises(exceptions.InvalidLicense):
        services.assign_license(actor=None, tenant=tenant_a, extension="201", license="gold")


def test_deactivated_user_gets_no_licence(tenant_a, make_user, monitor_pool):
    user = make_user("330", is_active=False)
    with pytest.raises(exceptions.PbxUserInactive):
        services.assign_license(actor=None, tenant=tenant_a, pbx_user=user, license="monitor")


def test_desk_phone_user_may_hold_monitor(tenant_a, make_user, monitor_pool):
    user = make_user("340", client_type="deskphone")
    services.assign_license(actor=None, tenant=tenant_a, pbx_user=user, license="monitor")
    policy = selectors.policy_for(pbx_user=user)
    assert policy.auto_record.enabled and not policy.monitorable.enabled


# --- revocation -----------------------------------------------------------------------------
def test_revoke_keeps_history_frees_the_licence_and_audits(tenant_a, admin_a, agent_ext_a,
                                                           monitor_pool):
    assignment = services.assign_license(actor=None, tenant=tenant_a, extension="201",
                                         license="monitor")
    revoked = services.revoke_license(actor=admin_a, assignment=assignment, reason="left")
    assert not revoked.is_active
    assert (revoked.revoked_by, revoked.revoke_reason) == ("alice", "left")
    assert selectors.used_count(tenant=tenant_a, license="monitor") == 0
    [event] = events(tenant_a, "license.revoked")
    assert event.data["reason"] == "left" and event.data["license"] == "monitor"
    again = services.assign_license(actor=None, tenant=tenant_a, extension="201",
                                    license="monitor")
    assert list(selectors.history_of(pbx_user=agent_ext_a)) == [again, revoked]
    with pytest.raises(exceptions.AlreadyRevoked):
        services.revoke_license(actor=admin_a, assignment=assignment)


def test_revoking_monitor_turns_off_auto_record_and_monitoring_at_once(
        tenant_a, agent_ext_a, monitor_pool, django_capture_on_commit_callbacks):
    calls = []
    saved = list(services.MONITOR_REVOKED_HOOKS)  # other parts' hooks stay registered
    services.MONITOR_REVOKED_HOOKS.append(lambda tenant_id, user_id: calls.append(
        (tenant_id, user_id)))
    try:
        assignment = services.assign_license(actor=None, tenant=tenant_a, extension="201",
                                             license="monitor")
        before = selectors.policy_for(pbx_user=agent_ext_a)
        assert before.auto_record.enabled and before.monitorable.enabled
        with django_capture_on_commit_callbacks(execute=True):
            services.revoke_license(actor=None, assignment=assignment)
        after = selectors.policy_for(pbx_user=agent_ext_a)
        assert not after.auto_record.enabled and not after.monitorable.enabled
        assert after.auto_record.codes == ("no_monitor_license",)
        assert calls == [(tenant_a.pk, agent_ext_a.pk)]
    finally:
        services.MONITOR_REVOKED_HOOKS[:] = saved


def test_revoking_record_does_not_call_the_monitor_hooks(
        tenant_a, agent_ext_a, record_pool, django_capture_on_commit_callbacks):
    calls = []
    saved = list(services.MONITOR_REVOKED_HOOKS)
    services.MONITOR_REVOKED_HOOKS.append(lambda *args: calls.append(args))
    try:
        assignment = services.assign_license(actor=None, tenant=tenant_a, extension="201",
                                             license="record")
        with django_capture_on_commit_callbacks(execute=True):
            services.revoke_license(actor=None, assignment=assignment)
        assert calls == []
    finally:
        services.MONITOR_REVOKED_HOOKS[:] = saved


def test_a_failing_hook_does_not_undo_the_revocation(
        tenant_a, agent_ext_a, monitor_pool, django_capture_on_commit_callbacks):
    def broken(tenant_id, user_id):
        raise RuntimeError("supervision down")

    saved = list(services.MONITOR_REVOKED_HOOKS)
    services.MONITOR_REVOKED_HOOKS.append(broken)
    try:
        assignment = services.assign_license(actor=None, tenant=tenant_a, extension="201",
                                             license="monitor")
        with django_capture_on_commit_callbacks(execute=True):
            services.revoke_license(actor=None, assignment=assignment)
        assert LicenseAssignment.unscoped.get(pk=assignment.pk).revoked_at is not None
    finally:
        services.MONITOR_REVOKED_HOOKS[:] = saved


def test_revoke_license_of_user_by_extension(tenant_a, agent_ext_a, record_pool):
    with pytest.raises(exceptions.NotAssigned):
        services.revoke_license_of(actor=None, tenant=tenant_a, extension="201",
                                   license="record")
    services.assign_license(actor=None, tenant=tenant_a, extension="201", license="record")
    revoked = services.revoke_license_of(actor=None, tenant=tenant_a, extension="201",
                                         license="record", reason="x")
    assert revoked.revoke_reason == "x"


# --- the policy from the database -----------------------------------------------------------
def test_licence_of_an_expired_pool_is_held_but_not_effective(tenant_a, agent_ext_a, today):
    services.set_license_pool(actor=None, tenant=tenant_a, license="monitor", quantity=1)
    services.assign_license(actor=None, tenant=tenant_a, extension="201", license="monitor")
    services.set_license_pool(actor=None, tenant=tenant_a, license="monitor", quantity=1,
                              valid_until=today - datetime.timedelta(days=1))
    assert selectors.active_licenses(pbx_user=agent_ext_a) == {"monitor"}
    policy = selectors.policy_for(pbx_user=agent_ext_a)
    assert policy.licenses == () and policy.lapsed_licenses == ("monitor",)
    assert policy.auto_record.codes == ("monitor_license_lapsed",)
    usage = {u.license: u for u in selectors.pool_usage(tenant=tenant_a)}["monitor"]
    assert (usage.used, usage.available, usage.uncovered, usage.status) == (1, 0, 1, "expired")


def test_supervisor_sources_fill_the_policy(tenant_a, agent_ext_a, monitor_pool):
    from licensing.policy import SUPERVISOR_SOURCES

    saved = list(SUPERVISOR_SOURCES)
    SUPERVISOR_SOURCES.append(lambda users: {u.pk: ["210"] for u in users})
    SUPERVISOR_SOURCES.append(lambda users: {u.pk: ["211", "210"] for u in users})
    try:
        services.assign_license(actor=None, tenant=tenant_a, extension="201", license="monitor")
        policy = selectors.policy_for(pbx_user=agent_ext_a)
        assert policy.supervisors == ("210", "211")
    finally:
        SUPERVISOR_SOURCES[:] = saved
    assert selectors.policy_for(pbx_user=agent_ext_a).supervisors == ()


def test_held_license_at_follows_the_history(tenant_a, agent_ext_a, record_pool):
    from django.utils import timezone

    assignment = services.assign_license(actor=None, tenant=tenant_a, extension="201",
                                         license="record")
    during = timezone.now()
    services.revoke_license(actor=None, assignment=assignment)
    after = timezone.now()
    assert selectors.held_license_at(pbx_user=agent_ext_a, license="record", at=during)
    assert not selectors.held_license_at(pbx_user=agent_ext_a, license="record", at=after)


def test_policies_for_many_users_use_a_constant_number_of_queries(
        tenant_a, make_user, monitor_pool, record_pool, django_assert_max_num_queries):
    users = [make_user(str(400 + n)) for n in range(30)]
    for user in users[:2]:
        services.assign_license(actor=None, tenant=tenant_a, pbx_user=user, license="monitor")
    with django_assert_max_num_queries(3):
        policies = selectors.policies_for(tenant=tenant_a, pbx_users=users)
    assert sum(p.auto_record.enabled for p in policies.values()) == 2


# --- the command ----------------------------------------------------------------------------
def test_set_license_pool_command(tenant_a, capsys):
    call_command("set_license_pool", "alpha", "monitor", "5", "--valid-until", "2031-06-30")
    out = capsys.readouterr().out
    assert "alpha: monitor × 5" in out and "until 2031-06-30" in out
    # Dates not given are kept; "none" clears one.
    call_command("set_license_pool", "alpha", "monitor", "6")
    assert LicensePool.unscoped.get(tenant=tenant_a, license="monitor").valid_until == (
        datetime.date(2031, 6, 30))
    call_command("set_license_pool", "alpha", "monitor", "6", "--valid-until", "none")
    pool = LicensePool.unscoped.get(tenant=tenant_a, license="monitor")
    assert (pool.quantity, pool.valid_until) == (6, None)
    assert len(events(tenant_a, "license_pool.set")) == 3
    [first, *_] = events(tenant_a, "license_pool.set")
    assert first.actor_type == "system"


@pytest.mark.parametrize("args", [
    ["nope", "monitor", "1"],
    ["alpha", "monitor", "-2"],
    ["alpha", "monitor", "1", "--valid-from", "tomorrow"],
])
def test_set_license_pool_command_errors(tenant_a, args):
    with pytest.raises((CommandError, SystemExit)):
        call_command("set_license_pool", *args)


# --- demo -----------------------------------------------------------------------------------
def test_demo_seed_is_idempotent():
    import io

    from licensing import demo
    from tenancy import demo as tenancy_demo

    out, logins = io.StringIO(), []
    tenancy_demo.seed(stdout=out, logins=logins)
    demo.seed(stdout=out, logins=logins)
    count = LicenseAssignment.unscoped.count()
    pools = {(p.tenant.slug, p.license): p for p in LicensePool.unscoped.select_related("tenant")}
    assert pools[("muster", "monitor")].quantity == 5
    assert pools[("muster", "record")].quantity == 10
    assert pools[("nordlicht", "monitor")].quantity == 3
    assert pools[("nordlicht", "record")].valid_until < pools[("nordlicht", "monitor")].valid_until
    from audit.models import AuditEvent

    audit_count = AuditEvent.unscoped.count()
    demo.seed(stdout=out, logins=logins)
    assert LicenseAssignment.unscoped.count() == count > 0
    assert AuditEvent.unscoped.count() == audit_count
