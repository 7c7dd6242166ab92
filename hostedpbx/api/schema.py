"""What the OpenAPI schema says beyond the views' own annotations.

:func:`add_error_responses` documents the error body every API error has (the ``Error``
component, see :mod:`hostedpbx.api.errors`) and the error statuses every operation can answer,
so that views annotate only the statuses of their own (a 409 with its codes, say).
:class:`DeleteWithBodySchema` documents the JSON body of a DELETE that reads one.
"""

from drf_spectacular.openapi import AutoSchema

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_COMPONENTS = {
    "Error": {
        "type": "object",
        "description": (
            "Every API error. Validation errors add `errors`; some add fields of their own."
        ),
        "properties": {
            "code": {"type": "string", "description": "stable, for programs"},
            "detail": {"type": "string", "description": "for people"},
            "errors": {
                "type": "object",
                "description": (
                    "validation errors only: every refused field (dotted for nested ones, "
                    "`non_field_errors` for the whole body); the top-level `code` and "
                    "`detail` are the first field's"
                ),
                "additionalProperties": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/FieldError"},
                },
            },
        },
        "required": ["code", "detail"],
    },
    "FieldError": {
        "type": "object",
        "properties": {"code": {"type": "string"}, "detail": {"type": "string"}},
        "required": ["code", "detail"],
    },
}
DESCRIPTIONS = {
    "400": "The input is refused: `code` says why (a validation error adds `errors`).",
    "401": (
        "No credentials, or unknown, expired or revoked ones (`not_authenticated`, "
        "`authentication_failed`)."
    ),
    "403": (
        "`role_not_permitted`; for a session also `two_factor_required` (second factor not "
        "confirmed) or `permission_denied` (no CSRF token)."
    ),
    "404": (
        "`not_found`: no such object, one the account may not see (another tenant's objects "
        "answer the same), a tenant the account is not a member of, or a page past the end "
        "(a cursor that is not one the list handed out is 400 `invalid_cursor`)."
    ),
}
# A PBX node has no roles and no session: it is refused with 401 only.
PBX_SCHEME = "pbxNodeToken"


def _error_statuses(method, operation) -> list[str]:
    parameters = operation.get("parameters", [])
    places = {parameter["in"] for parameter in parameters}
    names = {parameter["name"] for parameter in parameters}
    schemes = {name for requirement in operation.get("security", []) for name in requirement}
    statuses = []
    # A write without a body still meets the services' checks (publishing an invalid draft).
    if "requestBody" in operation or "query" in places or method != "get":
        statuses.append("400")
    if schemes:
        statuses.append("401")
    if schemes - {PBX_SCHEME}:
        statuses.append("403")
    if "path" in places or names & {"page", "cursor"}:
        statuses.append("404")
    return statuses


def add_error_responses(result, **kwargs):
    """drf-spectacular postprocessing hook: the ``Error`` component, the common error
    statuses on every operation (400 for a write or with input, 401 and 403 with
    authentication, 404 with a path id or a page), and the ``Error`` body on every 4xx a view
    documented with only a description (its description stays)."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(ERROR_COMPONENTS)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.get("responses") if isinstance(operation, dict) else None
            if responses is None:
                continue
            for status in _error_statuses(method, operation):
                responses.setdefault(status, {"description": DESCRIPTIONS[status]})
            for status, response in responses.items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if status.startswith("4") and not (schema and "$ref" in schema):
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
            operation["responses"] = dict(sorted(responses.items()))
    return result


class DeleteWithBodySchema(AutoSchema):
    """For a view whose DELETE reads a JSON body (the bulk legal-hold lift): drf-spectacular
    documents request bodies for POST, PUT and PATCH only, even with ``extend_schema(request=
    ...)`` (tfranzel/drf-spectacular#809), and a client built from the schema then cannot send
    the body."""

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"  # the only check that stands in the way
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"
