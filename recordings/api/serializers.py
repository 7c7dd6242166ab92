from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hostedpbx.api.errors import drf_error_dict
from recordings.choices import CONSENT_OUTCOMES, Consent, ConsentSource, Direction, Kind
from recordings.metadata import EXTENSION_RE, parse_aware_datetime, validate_metadata
from recordings.models import Call, Ingest, Recording
from recordings.phone import NUMBER_RE

RECORDING_LIST_FIELDS = (
    "id", "call_id", "extension", "direction", "remote_number", "remote_number_raw",
    "started_at", "duration", "kind", "consent", "sha256", "size", "legal_hold",
    "policy_violation", "policy_violation_reason", "truncated", "audio_state", "container",
    "codec", "sample_rate", "channels", "mime_type", "discarded_at", "discard_reason",
    "created_at", "agent_name",
)


class RecordingSerializer(serializers.ModelSerializer):
    """A recording as listed (the waveform is on the detail)."""

    call_id = serializers.CharField(source="pbx_call_id", read_only=True)
    agent_name = serializers.SerializerMethodField()

    class Meta:
        model = Recording
        fields = RECORDING_LIST_FIELDS
        read_only_fields = fields
        # "" while the audio is kept. Read-only model fields lose ``allow_blank``, and the
        # schema's enum would lack it.
        extra_kwargs = {"discard_reason": {"allow_blank": True}}

    @extend_schema_field(serializers.CharField())
    def get_agent_name(self, recording) -> str:
        return recording.pbx_user.display_name if recording.pbx_user_id else ""


class RecordingDetailSerializer(RecordingSerializer):
    ingest_id = serializers.UUIDField(source="ingest.ingest_id", read_only=True)
    audio_url = serializers.SerializerMethodField()

    class Meta(RecordingSerializer.Meta):
        fields = (*RECORDING_LIST_FIELDS, "ingest_id", "truncation_detail", "discarded_by",
                  "discard_pending", "storage_deleted_at", "peaks", "audio_url")
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_audio_url(self, recording) -> str | None:
        """Where the audio is played (Range) or downloaded (``?download=1``); null when
        discarded."""
        tenant = self.context.get("tenant")
        if tenant is None or not recording.has_audio:
            return None
        return reverse("recording-audio", kwargs={"tenant_slug": tenant.slug,
                                                  "recording_id": recording.pk})


class IngestSerializer(serializers.ModelSerializer):
    recording_id = serializers.IntegerField(read_only=True, allow_null=True)
    # An upload has no node, a push no uploader.
    node = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True,
                                               allow_null=True)
    retryable = serializers.SerializerMethodField()

    class Meta:
        model = Ingest
        fields = ("ingest_id", "status", "reason", "reason_detail", "recording_id", "source",
                  "node", "uploaded_by", "original_name", "call_id", "extension", "size",
                  "sha256", "attempts", "created_at", "updated_at", "finished_at", "retryable")
        read_only_fields = fields
        extra_kwargs = {"reason": {"allow_blank": True}}  # "" until an ingest fails

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
        extra_kwargs = {"reason": {"allow_blank": True}}


class IngestAcceptedSerializer(serializers.Serializer):
    ingest_id = serializers.UUIDField()
    status = serializers.CharField()


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field):
    """ISO 8601 with a UTC offset, within the range a call can have (codes
    ``invalid_datetime``, ``naive_datetime``, ``datetime_out_of_range``,
    ``datetime_in_future``: the rules of ``recordings.metadata``)."""

    def to_internal_value(self, data):
        try:
            return parse_aware_datetime(data, self.field_name)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(" ".join(exc.messages), code=exc.code) from exc

    def to_representation(self, value):
        return value.isoformat()


class PhoneNumberField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value and not NUMBER_RE.match(value):
            raise serializers.ValidationError(_("Not a telephone number."),
                                              code="invalid_number")
        return value


class ExtensionField(serializers.CharField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value and not EXTENSION_RE.match(value):
            raise serializers.ValidationError(_("An extension consists of 2 to 15 digits."),
                                              code="invalid_extension")
        return value


class PushSerializer(serializers.Serializer):
    """The push form; validated by the one rule of every source (``recordings.metadata``),
    so a field answers with the same code wherever it arrives."""

    audio = serializers.FileField(required=False)
    call_id = serializers.CharField()
    extension = serializers.CharField()
    direction = serializers.ChoiceField(choices=Direction.choices)
    remote_number = serializers.CharField(required=False, allow_blank=True)
    local_number = serializers.CharField(required=False, allow_blank=True)
    started_at = serializers.DateTimeField(help_text="ISO 8601 with a UTC offset")
    ended_at = serializers.DateTimeField(required=False)
    kind = serializers.ChoiceField(choices=Kind.choices)
    consent = serializers.ChoiceField(choices=Consent.choices, required=False)

    def to_internal_value(self, data):
        try:
            return validate_metadata(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(drf_error_dict(exc)) from exc


class UploadSerializer(serializers.Serializer):
    """The menu's upload of a softphone recording (kind ``client``)."""

    audio = serializers.FileField()
    direction = serializers.ChoiceField(choices=Direction.choices)
    started_at = serializers.DateTimeField(
        help_text="the call's start, ISO 8601 with a UTC offset (the menu asks for it per file)")
    remote_number = serializers.CharField(required=False, allow_blank=True)
    call_id = serializers.CharField(
        required=False,
        help_text="stored as portal:<call_id> (the portal's own call-id space: an upload never "
                  "joins a call the PBX reports); default: derived from the file's SHA-256")
    extension = serializers.CharField(required=False,
                                      help_text="admins only; others upload for their own")


class CallDetailsSerializer(serializers.Serializer):
    """Optional call fields of a PBX report, checked like push metadata."""

    extension = ExtensionField(required=False, allow_blank=True, max_length=15)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)
    remote_number = PhoneNumberField()
    local_number = PhoneNumberField()
    started_at = AwareDateTimeField(required=False)

    def call_details(self) -> dict:
        """The validated call fields, shaped like cleaned metadata (times as ISO text)."""
        details = {}
        for name in ("extension", "direction", "remote_number", "local_number"):
            if self.validated_data.get(name):
                details[name] = self.validated_data[name]
        if self.validated_data.get("started_at"):
            details["started_at"] = self.validated_data["started_at"].isoformat()
        return details


class ConsentReportSerializer(CallDetailsSerializer):
    """The caller's consent outcome. ``routing_version``, ``language`` and ``key`` are the
    proof of the legal notice played (stored by the call routing part)."""

    outcome = serializers.ChoiceField(choices=[(c.value, c.label) for c in CONSENT_OUTCOMES])
    source = serializers.ChoiceField(choices=[ConsentSource.PBX, ConsentSource.ROUTING],
                                     required=False, default=ConsentSource.PBX)
    at = AwareDateTimeField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    routing_version = serializers.CharField(required=False, allow_blank=True, max_length=64)
    language = serializers.CharField(required=False, allow_blank=True, max_length=16)
    key = serializers.CharField(required=False, allow_blank=True, max_length=16)


class CallEndSerializer(CallDetailsSerializer):
    ended_at = AwareDateTimeField()


class CallConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Call
        fields = ("call_id", "extension", "consent", "consent_source", "consent_set_by",
                  "consent_set_at", "started_at", "ended_at")
        read_only_fields = fields
        extra_kwargs = {"consent_source": {"allow_blank": True}}  # "" until consent is set
