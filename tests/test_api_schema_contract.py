"""The OpenAPI schema says what the API answers (docs/conventions.md, "The API schema").

Real answers of the endpoints the contract fuzzing found undocumented or wrong are checked
against the schema generated in-process: nullable fields, blank enum values, the routing
actions' bodies, the legal-hold DELETEs, and the ``Error`` body with its statuses. Also the
input bounds the fuzzing found missing (export ids, routing numbers).
"""

import datetime

import jsonschema
import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from callrouting import services as routing_services
from supervision.models import MonitoringSession, SessionParticipant
from tenancy.models import Membership

from .factories import CallFactory, IngestFactory, RecordingFactory

pytestmark = pytest.mark.django_db

TENANT = "/api/v1/tenants/{tenant_slug}/"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _json_schema(node):
    """OpenAPI 3.0 → JSON Schema: ``nullable`` becomes a null alternative."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def conforms(schema, response, method, template):
    """Assert that ``response`` has a status the operation documents and a JSON body that
    matches it; returns the body."""
    responses = schema["paths"][template][method]["responses"]
    status = str(response.status_code)
    assert status in responses, f"{method} {template} answered {status}: {response.content[:300]}"
    body = response.json()
    body_schema = responses[status]["content"]["application/json"]["schema"]
    root = _json_schema({"components": schema["components"]})
    jsonschema.Draft202012Validator({**root, **_json_schema(body_schema)}).validate(body)
    return body


def call(schema, client, method, template, data=None, **kwargs):
    """``client``'s ``method`` on ``template`` filled with ``kwargs``, checked by
    :func:`conforms`."""
    response = getattr(client, method)(template.format(**kwargs), data, format="json")
    return response, conforms(schema, response, method, template)


# --- the error body and the common statuses -------------------------------------------------------
def test_every_operation_documents_its_error_statuses_with_the_error_body(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "detail"} and "errors" in error["properties"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            schemes = {name for requirement in operation["security"] for name in requirement}
            expected = set()
            if schemes:
                expected.add("401")
            if schemes - {"pbxNodeToken"}:
                expected.add("403")
            if any(p["in"] == "path" for p in operation.get("parameters", [])):
                expected.add("404")
            if "requestBody" in operation:
                expected.add("400")
            assert expected <= set(responses), (method, path, sorted(responses))
            for status, response in responses.items():
                if status.startswith("4"):
                    body = response["content"]["application/json"]["schema"]
                    assert body == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_annotated_conflicts_keep_their_codes(schema):
    conflict = schema["paths"][TENANT + "accounts/{membership_id}/"]["patch"]["responses"]["409"]
    assert conflict["description"] == "`last_admin`"


def test_error_answers_match_the_schema(schema, api, admin_a, agent_a, admin_b, tenant_a):
    accounts = TENANT + "accounts/"
    response, body = call(schema, api(), "get", accounts, tenant_slug="alpha")
    assert response.status_code == 401
    response, body = call(schema, api(agent_a), "get", accounts, tenant_slug="alpha")
    assert response.status_code == 403 and body["code"] == "role_not_permitted"
    response, body = call(schema, api(admin_b), "get", accounts, tenant_slug="alpha")
    assert response.status_code == 404
    response, body = call(schema, api(admin_a), "post", TENANT + "invitations/", {},
                          tenant_slug="alpha")
    assert response.status_code == 400 and body["errors"]["username"][0]["code"] == "required"
    alice = Membership.unscoped.get(tenant=tenant_a, user=admin_a)
    response, body = call(schema, api(admin_a), "patch", accounts + "{membership_id}/",
                          {"role": "compliance"}, tenant_slug="alpha", membership_id=alice.pk)
    assert response.status_code == 409 and body["code"] == "last_admin"


# --- ids beyond the database's range --------------------------------------------------------------
@pytest.mark.parametrize(("value", "code"), [(2**63, "max_value"), (-(2**63) - 1, "min_value"),
                                             (0, "min_value")])
def test_export_refuses_ids_outside_the_id_range(schema, api, admin_a, tenant_a, value, code):
    response, body = call(schema, api(admin_a), "post", TENANT + "exports/", {"ids": [value]},
                          tenant_slug="alpha")
    assert response.status_code == 400 and body["code"] == code
    assert body["errors"] == {"ids.0": [{"code": code, "detail": body["errors"]["ids.0"][0]
                                         ["detail"]}]}


# --- null and blank values ------------------------------------------------------------------------
def test_accounts_and_invitations_without_extension_or_login_match(
    schema, api, admin_a, compliance_a, tenant_a
):
    client = api(admin_a)
    _response, listed = call(schema, client, "get", TENANT + "accounts/", tenant_slug="alpha")
    carla = next(row for row in listed["results"] if row["username"] == "carla")
    assert carla["extension"] is None and carla["last_login"] is None
    call(schema, client, "get", TENANT + "accounts/{membership_id}/", tenant_slug="alpha",
         membership_id=carla["id"])
    response, invited = call(schema, client, "post", TENANT + "invitations/",
                             {"username": "someone.else", "role": "compliance"},
                             tenant_slug="alpha")
    assert response.status_code == 201 and invited["extension"] is None
    call(schema, client, "get", TENANT + "invitations/", tenant_slug="alpha")


def test_ingests_and_recordings_with_null_and_blank_values_match(
    schema, api, pbx_api, admin_a, tenant_a, node_a
):
    # No node, no uploader, no reason yet.
    pushed = IngestFactory(tenant=tenant_a, call_id="pushed-1", status="queued")
    recording = RecordingFactory(tenant=tenant_a)  # audio kept: no discard reason
    client = api(admin_a)
    _response, ingest = call(schema, client, "get", TENANT + "ingests/{ingest_id}/",
                             tenant_slug="alpha", ingest_id=pushed.ingest_id)
    assert ingest["node"] is None and ingest["uploaded_by"] is None and ingest["reason"] == ""
    call(schema, client, "get", TENANT + "ingests/", tenant_slug="alpha")
    _response, detail = call(schema, client, "get", TENANT + "recordings/{recording_id}/",
                             tenant_slug="alpha", recording_id=recording.pk)
    assert detail["discard_reason"] == ""
    call(schema, client, "get", TENANT + "recordings/", tenant_slug="alpha")
    from_node = IngestFactory(tenant=tenant_a, call_id="pushed-2", node=node_a, status="queued")
    _response, pbx_ingest = call(schema, pbx_api(node_a), "get", "/api/pbx/v1/ingests/{ingest_id}/",
                                 ingest_id=from_node.ingest_id)
    assert pbx_ingest["reason"] == ""


def test_call_end_before_any_consent_matches(schema, pbx_api, tenant_a, node_a):
    CallFactory(tenant=tenant_a, call_id="call-end-1")
    ended_at = (timezone.now() - datetime.timedelta(minutes=1)).isoformat()
    response = pbx_api(node_a).post("/api/pbx/v1/calls/call-end-1/end/",
                                    {"ended_at": ended_at}, format="json")
    body = conforms(schema, response, "post", "/api/pbx/v1/calls/{call_id}/end/")
    assert response.status_code == 200 and body["consent_source"] == ""


def test_live_monitoring_session_matches(schema, api, admin_a, agent_ext_a, supervisor_ext_a,
                                         tenant_a):
    session = MonitoringSession.unscoped.create(
        tenant=tenant_a, agent=agent_ext_a, agent_extension="201", call_id="c-live")
    SessionParticipant.unscoped.create(tenant=tenant_a, session=session,
                                       supervisor=supervisor_ext_a, supervisor_extension="210")
    client = api(admin_a)
    _response, detail = call(schema, client, "get", TENANT + "monitoring-sessions/{session_id}/",
                             tenant_slug="alpha", session_id=session.pk)
    assert detail["end_reason"] == "" and detail["participants"][0]["leave_reason"] == ""
    call(schema, client, "get", TENANT + "monitoring-sessions/", tenant_slug="alpha")


# --- the routing's actions and numbers ------------------------------------------------------------
@pytest.fixture
def published_routing(settings, tmp_path, tenant_a, admin_a):
    settings.S3_BUCKET = ""
    settings.RECORDINGS_LOCAL_DIR = str(tmp_path / "store")
    routing = routing_services.create_routing(
        actor=admin_a, tenant=tenant_a, values={"name": "Hotline", "mode": "opt_out"})
    routing_services.publish_routing(actor=admin_a, routing=routing)
    return routing


def test_routing_actions_answer_what_the_schema_says(schema, api, admin_a, published_routing):
    client = api(admin_a)
    routing = TENANT + "routings/{routing_id}/"
    ids = {"tenant_slug": "alpha", "routing_id": published_routing.pk}
    _response, versions = call(schema, client, "get", routing + "versions/", **ids)
    assert [version["number"] for version in versions] == [1]
    _response, report = call(schema, client, "get", routing + "report/", **ids)
    assert report[0]["version"] == 1 and report[0]["consent_rate"] is None
    client.patch(routing.format(**ids), {"repeats": 3}, format="json")
    _response, diff = call(schema, client, "get", routing + "diff/", **ids)
    assert diff["changes"] == [{"field": "repeats", "old": 1, "new": 3}]
    for behaviour in ("no_key", "objection_key", "hang_up"):
        _response, simulation = call(schema, client, "post", routing + "simulate/",
                                     {"behaviour": behaviour, "source": "published"}, **ids)
        assert simulation["steps"]
    versions_operation = schema["paths"][routing + "versions/"]["get"]
    assert not [p for p in versions_operation["parameters"] if p["in"] == "query"]


def test_routing_numbers_are_checked_with_all_numbers_too(schema, api, admin_a, tenant_a):
    routing = routing_services.create_routing(
        actor=admin_a, tenant=tenant_a, values={"name": "Alle", "covers_all": True})
    response, body = call(schema, api(admin_a), "patch", TENANT + "routings/{routing_id}/",
                          {"numbers": ["not a number", "]"]}, tenant_slug="alpha",
                          routing_id=routing.pk)
    assert response.status_code == 400 and body["code"] == "invalid_number"
    routing.refresh_from_db()
    assert routing.numbers == []


# --- the legal-hold DELETEs -----------------------------------------------------------------------
def test_legal_hold_deletes_answer_what_the_schema_says(schema, api, compliance_a, tenant_a):
    first = RecordingFactory(tenant=tenant_a, extension="201")
    RecordingFactory(tenant=tenant_a, extension="201")
    client = api(compliance_a)
    one = TENANT + "recordings/{recording_id}/legal-hold/"
    call(schema, client, "post", one, {"case_reference": "AZ 1/26"}, tenant_slug="alpha",
         recording_id=first.pk)
    response, lifted = call(schema, client, "delete", one, tenant_slug="alpha",
                            recording_id=first.pk)
    assert response.status_code == 200 and lifted["changed"] and lifted["case_reference"] is None
    bulk = TENANT + "recordings/legal-hold/"
    call(schema, client, "post", bulk,
         {"filters": {"extension": "201"}, "expected_count": 2, "case_reference": "AZ 2/26"},
         tenant_slug="alpha")
    response, body = call(schema, client, "delete", bulk,
                          {"filters": {"extension": "201"}, "expected_count": 2},
                          tenant_slug="alpha")
    assert response.status_code == 200 and body == {"matched": 2, "changed": 2}
    request_body = schema["paths"][bulk]["delete"]["requestBody"]
    assert request_body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BulkLegalHoldRequest"}
