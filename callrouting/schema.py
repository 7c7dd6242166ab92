"""The JSON Schema of the PBX export (``GET /api/pbx/v1/routing/``).

Served at ``/api/pbx/v1/routing/schema/`` (PBX token) and
``/api/v1/tenants/<slug>/routings/schema/`` (customer API), documented in docs/routing.md.
Tests validate real exports against it.
"""

KEY = {"type": ["string", "null"], "pattern": "^[0-9*#]$"}
NUMBER = {"type": "string", "pattern": r"^\+?[0-9]{2,20}$"}

AUDIO = {
    "type": ["object", "null"],
    "required": ["id", "sha256", "duration", "source", "url", "format"],
    "properties": {
        "id": {"type": "integer"},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "duration": {"type": "number", "minimum": 0, "description": "seconds"},
        "source": {"enum": ["generated", "uploaded"]},
        "url": {"type": "string", "description": "GET with the node token: the WAV file"},
        "format": {"const": "wav_pcm_s16le_8000_mono"},
    },
    "additionalProperties": False,
}

ROUTING = {
    "type": "object",
    "required": [
        "routing_id",
        "version_id",
        "version",
        "published_at",
        "name",
        "mode",
        "numbers",
        "keys",
        "timeout_seconds",
        "repeats",
        "languages",
        "on_no_input",
        "on_objection",
        "report",
    ],
    "properties": {
        "routing_id": {"type": "integer"},
        "version_id": {"type": "integer", "description": "report it as routing_version"},
        "version": {"type": "integer", "minimum": 1},
        "published_at": {"type": "string", "format": "date-time"},
        "name": {"type": "string"},
        "mode": {
            "enum": ["notice", "opt_out", "opt_in"],
            "description": "notice: announce only; opt_out: a key objects; opt_in: a key "
            "consents and silence objects",
        },
        "numbers": {
            "type": "object",
            "required": ["all", "list"],
            "properties": {"all": {"type": "boolean"}, "list": {"type": "array", "items": NUMBER}},
            "additionalProperties": False,
        },
        "keys": {
            "type": "object",
            "required": ["objection", "consent"],
            "properties": {"objection": KEY, "consent": KEY},
            "additionalProperties": False,
        },
        "timeout_seconds": {"type": "integer", "minimum": 2, "maximum": 30},
        "repeats": {"type": "integer", "minimum": 0, "maximum": 3},
        "languages": {
            "type": "array",
            "minItems": 1,
            "maxItems": 2,
            "items": {
                "type": "object",
                "required": ["code", "text", "template", "audio"],
                "properties": {
                    "code": {"enum": ["de", "en"]},
                    "text": {"type": "string", "description": "what the caller hears"},
                    "template": {"type": "string"},
                    "audio": AUDIO,
                },
                "additionalProperties": False,
            },
        },
        "on_no_input": {"enum": ["notified", "objected"]},
        "on_objection": {
            "type": "object",
            "required": ["recording", "listen_in", "route_to"],
            "properties": {
                "recording": {"const": False},
                "listen_in": {"const": False},
                "route_to": {"oneOf": [NUMBER, {"type": "null"}]},
            },
            "additionalProperties": False,
        },
        "report": {
            "type": "object",
            "required": ["url", "routing_version"],
            "properties": {"url": {"type": "string"}, "routing_version": {"type": "integer"}},
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}

EXPORT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://hostedpbx.example/schemas/pbx-routing-v1.json",
    "title": "Published legal-notice routings of a tenant (PBX export)",
    "type": "object",
    "required": ["schema_version", "tenant", "routings"],
    "properties": {
        "schema_version": {"const": 1},
        "tenant": {"type": "string"},
        "routings": {"type": "array", "items": ROUTING},
    },
    "additionalProperties": False,
}
