from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from recordings.choices import CONSENT_OUTCOMES, Consent, Direction, Kind
from recordings.models import Call, Ingest, Recording

RECORDING_LIST_FIELDS = (
    "id", "call_id", "extension", "direction", "remote_number", "remote_number_raw",
    "started_at", "duration", "kind", "consent", "sha256", "size", "legal_hold",
    "policy_violation", "policy_violation_reason", "truncated", "audio_state", "container",
    "codec", "sample_rate", "channels", "mime_type", "discarded_at", "discard_reason",
    "created_at",
)


class RecordingSerializer(serializers.ModelSerializer):
    """A recording as listed (the waveform is on the detail)."""

    call_id = serializers.CharField(source="pbx_call_id", read_only=True)

    class Meta:
        model = Recording
        fields = RECORDING_LIST_FIELDS
        read_only_fields = fields


class RecordingDetailSerializer(RecordingSerializer):
    ingest_id = serializers.UUIDField(source="ingest.ingest_id", read_only=True)

    class Meta(RecordingSerializer.Meta):
        fields = (*RECORDING_LIST_FIELDS, "ingest_id", "truncation_detail", "discarded_by",
                  "discard_pending", "storage_deleted_at", "peaks")
        read_only_fields = fields


class IngestSerializer(serializers.ModelSerializer):
    recording_id = serializers.IntegerField(read_only=True, allow_null=True)
    node = serializers.SlugRelatedField(slug_field="name", read_only=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    retryable = serializers.SerializerMethodField()

    class Meta:
        model = Ingest
        fields = ("ingest_id", "status", "reason", "reason_detail", "recording_id", "source",
                  "node", "uploaded_by", "original_name", "call_id", "extension", "size",
                  "sha256", "attempts", "created_at", "updated_at", "finished_at", "retryable")
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_retryable(self, ingest) -> bool:
        return ingest.is_retryable and bool(ingest.staged_in)


class PbxIngestSerializer(serializers.ModelSerializer):
    recording_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Ingest
        fields = ("ingest_id", "status", "reason", "reason_detail", "recording_id",
                  "created_at", "finished_at")
        read_only_fields = fields


class IngestAcceptedSerializer(serializers.Serializer):
    ingest_id = serializers.UUIDField()
    status = serializers.CharField()


class PushSerializer(serializers.Serializer):
    """The push form (documentation only: validation is ``recordings.metadata``)."""

    audio = serializers.FileField()
    call_id = serializers.CharField()
    extension = serializers.CharField()
    direction = serializers.ChoiceField(choices=Direction.choices)
    remote_number = serializers.CharField(required=False, allow_blank=True)
    local_number = serializers.CharField(required=False, allow_blank=True)
    started_at = serializers.DateTimeField(help_text="ISO 8601 with a UTC offset")
    ended_at = serializers.DateTimeField(required=False)
    kind = serializers.ChoiceField(choices=Kind.choices)
    consent = serializers.ChoiceField(choices=Consent.choices, required=False)


class UploadSerializer(serializers.Serializer):
    """The menu's upload of a softphone recording (kind ``client``)."""

    audio = serializers.FileField()
    direction = serializers.ChoiceField(choices=Direction.choices)
    started_at = serializers.DateTimeField(help_text="ISO 8601 with a UTC offset")
    remote_number = serializers.CharField(required=False, allow_blank=True)
    call_id = serializers.CharField(required=False,
                                    help_text="default: derived from the file's SHA-256")
    extension = serializers.CharField(required=False,
                                      help_text="admins only; others upload for their own")


class ConsentReportSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[(c.value, c.label) for c in CONSENT_OUTCOMES])
    source = serializers.ChoiceField(choices=["pbx", "routing"], required=False)
    at = serializers.DateTimeField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)
    extension = serializers.CharField(required=False)
    direction = serializers.CharField(required=False)
    remote_number = serializers.CharField(required=False)
    local_number = serializers.CharField(required=False)
    started_at = serializers.DateTimeField(required=False)
    routing_version = serializers.CharField(
        required=False, help_text="the published routing version played (its version_id)")
    language = serializers.CharField(required=False, max_length=2, help_text="de or en")
    key = serializers.CharField(required=False, max_length=1, help_text="the key pressed")


class CallEndSerializer(serializers.Serializer):
    ended_at = serializers.DateTimeField()
    extension = serializers.CharField(required=False)
    direction = serializers.CharField(required=False)
    remote_number = serializers.CharField(required=False)
    local_number = serializers.CharField(required=False)
    started_at = serializers.DateTimeField(required=False)


class ObjectionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class CallConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Call
        fields = ("call_id", "extension", "consent", "consent_source", "consent_set_by",
                  "consent_set_at", "started_at", "ended_at")
        read_only_fields = fields
