"""Session transitions under concurrent events, against real PostgreSQL and real threads."""

import pytest

from audit.chain import verify
from supervision import services
from supervision.exceptions import SupervisionError
from supervision.models import MonitoringSession, SessionParticipant
from tests.factories import PbxUserFactory
from tests.licensing.test_concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def event(tenant, node, session_id, supervisor, kind, key=None):
    def go():
        try:
            state = services.session_event(
                actor=node,
                tenant=tenant,
                session_id=session_id,
                supervisor=supervisor,
                event=kind,
                key=key,
            )
            return state["mode"]
        except SupervisionError as exc:
            return exc.code

    return go


def authorizer(tenant, node, supervisor, call_id="race"):
    def go():
        outcome = services.authorize(
            actor=node, tenant=tenant, supervisor=supervisor, dialed="201*24*1#", call_id=call_id
        )
        return outcome.session.pk if outcome.decision.allowed else outcome.decision.reason

    return go


@pytest.fixture
def four_supervisors(tenant_a, monitored_agent):
    sups = [PbxUserFactory(tenant=tenant_a, extension=str(220 + n)) for n in range(4)]
    for sup in sups:
        services.create_grant(actor=None, tenant=tenant_a, agent=monitored_agent, supervisor=sup)
    return [s.extension for s in sups]


def assert_history_is_gapless(session):
    seqs = list(session.events.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, session.last_seq + 1)) and seqs


def test_supervisors_dialling_in_at_once_share_one_session(tenant_a, node_a, four_supervisors):
    results = run_concurrently([authorizer(tenant_a, node_a, s) for s in four_supervisors])
    assert len(set(results)) == 1 and isinstance(results[0], int), results
    session = MonitoringSession.unscoped.get(pk=results[0])
    assert SessionParticipant.unscoped.filter(session=session, left_at__isnull=True).count() == 4
    assert_history_is_gapless(session)
    assert verify(tenant_a).ok


def test_session_limit_holds_under_concurrent_authorisations(tenant_a, node_a, four_supervisors):
    services.update_settings(actor=None, tenant=tenant_a, max_supervisors=2)
    results = run_concurrently([authorizer(tenant_a, node_a, s) for s in four_supervisors])
    assert sorted(map(str, results)).count("session_full") == 2, results
    assert SessionParticipant.unscoped.filter(left_at__isnull=True).count() == 2


@pytest.mark.parametrize("round_", range(3))
def test_different_keys_at_once_end_in_one_defined_mode(tenant_a, node_a, four_supervisors, round_):
    session_id = None
    for sup in four_supervisors:
        session_id = authorizer(tenant_a, node_a, sup)()
    keys = ["2", "3", "2", "3"]
    results = run_concurrently(
        [
            event(tenant_a, node_a, session_id, sup, "key", key)
            for sup, key in zip(four_supervisors, keys)
        ]
    )
    session = MonitoringSession.unscoped.get(pk=session_id)
    assert_history_is_gapless(session)
    changes = list(session.events.filter(kind__in=["mode_changed", "key_repeated"]).order_by("seq"))
    assert len(changes) == 4, results
    # Every event saw the mode the previous one left, and the last one's mode is the mode.
    previous = 1
    for change in changes:
        assert change.mode_before == previous
        previous = change.mode_after
    assert session.mode == previous == int(changes[-1].key)
    assert verify(tenant_a).ok


def test_everybody_leaving_at_once_ends_the_session_once(tenant_a, node_a, four_supervisors):
    session_id = None
    for sup in four_supervisors:
        session_id = authorizer(tenant_a, node_a, sup)()
    results = run_concurrently(
        [event(tenant_a, node_a, session_id, sup, "leave") for sup in four_supervisors]
    )
    assert sorted(map(str, results)) == ["1"] * 4, results
    session = MonitoringSession.unscoped.get(pk=session_id)
    assert session.status == "ended" and session.end_reason == "last_left"
    assert session.events.filter(kind="ended").count() == 1
    assert_history_is_gapless(session)


def test_keys_racing_the_grant_revocation(tenant_a, node_a, four_supervisors):
    session_id = None
    for sup in four_supervisors[:2]:
        session_id = authorizer(tenant_a, node_a, sup)()
    grant = services.SupervisionGrant.unscoped.get(
        supervisor__extension=four_supervisors[0], revoked_at__isnull=True
    )

    def revoke():
        services.revoke_grant(actor=None, grant=grant)
        return "revoked"

    results = run_concurrently(
        [revoke]
        + [event(tenant_a, node_a, session_id, four_supervisors[0], "key", k) for k in "23"]
    )
    assert results[0] == "revoked", results
    session = MonitoringSession.unscoped.get(pk=session_id)
    assert_history_is_gapless(session)
    left = session.events.get(kind="left")
    # Nothing of the revoked supervisor is accepted after they left.
    assert not session.events.filter(
        seq__gt=left.seq, supervisor_extension=four_supervisors[0]
    ).exists()
    assert set(results[1:]) <= {2, 3, "not_in_session"}
