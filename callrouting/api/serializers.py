from rest_framework import serializers

from ..choices import CallerBehaviour, Language, Mode
from ..models import Routing, RoutingVersion


class AudioSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sha256 = serializers.CharField()
    duration = serializers.FloatField()
    source = serializers.CharField()


class RoutingInputSerializer(serializers.Serializer):
    """The draft's fields; all optional on update (PATCH and PUT change what is sent)."""

    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    covers_all = serializers.BooleanField(required=False)
    numbers = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=500
    )
    mode = serializers.ChoiceField(choices=Mode.choices, required=False)
    objection_key = serializers.CharField(required=False, allow_blank=True, max_length=1)
    consent_key = serializers.CharField(required=False, allow_blank=True, max_length=1)
    timeout_seconds = serializers.IntegerField(required=False)
    repeats = serializers.IntegerField(required=False)
    # Plain strings (the service answers ``invalid_language``); one enum per choice set keeps
    # the OpenAPI schema free of naming collisions.
    languages = serializers.ListField(
        child=serializers.CharField(max_length=2),
        required=False,
        max_length=2,
        help_text="de, en or both, in the order the PBX offers them",
    )
    text_de = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    text_en = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    objection_route_to = serializers.CharField(required=False, allow_blank=True, max_length=64)


class RoutingSerializer(serializers.ModelSerializer):
    published_version = serializers.SerializerMethodField()
    audio = serializers.SerializerMethodField()

    class Meta:
        model = Routing
        fields = [
            "id",
            "name",
            "covers_all",
            "numbers",
            "mode",
            "objection_key",
            "consent_key",
            "timeout_seconds",
            "repeats",
            "languages",
            "text_de",
            "text_en",
            "objection_route_to",
            "published_version",
            "audio",
            "created_at",
            "updated_at",
        ]

    def get_published_version(self, obj) -> int | None:
        return obj.published_version.number if obj.published_version_id else None

    def get_audio(self, obj) -> dict:
        from ..services import audio_summary

        return {lang: audio_summary(obj.audio(lang)) for lang in ("de", "en")}


class VersionSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="published or rollback")

    class Meta:
        model = RoutingVersion
        fields = [
            "id",
            "number",
            "kind",
            "rolled_back_to",
            "published_at",
            "published_by",
            "definition",
        ]


class SimulateInputSerializer(serializers.Serializer):
    behaviour = serializers.ChoiceField(choices=CallerBehaviour.choices)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    after_seconds = serializers.FloatField(required=False, min_value=0, max_value=600)
    source = serializers.ChoiceField(
        choices=[("draft", "draft"), ("published", "published")], required=False, default="draft"
    )


class RollbackInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)


class AudioInputSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=Language.choices)
    audio = serializers.FileField(required=False, help_text="omit to generate from the text")


# --- answers of the actions (documentation of the bodies) ----------------------------------
class SimulationStepSerializer(serializers.Serializer):
    at = serializers.FloatField(help_text="seconds from the start of the first announcement")
    kind = serializers.CharField(
        help_text="announce, wait, key, invalid_key, ignored_key, too_late, timeout, hang_up, "
        "connect or route"
    )
    key = serializers.CharField(help_text="the key pressed, or the destination of a route")
    seconds = serializers.FloatField()
    attempt = serializers.IntegerField()
    description = serializers.CharField(help_text="the step in words")


class SimulationSerializer(serializers.Serializer):
    # Plain strings: enums named like the consent's would collide in the schema.
    behaviour = serializers.CharField()
    language = serializers.CharField()
    steps = SimulationStepSerializer(many=True)
    outcome = serializers.CharField(help_text="notified, consented, objected or hung_up")
    key = serializers.CharField()
    report = serializers.CharField(
        allow_null=True, help_text="the outcome the PBX reports; null when the caller hung up"
    )
    recording = serializers.CharField(help_text="kept, discarded or none")
    listen_in = serializers.CharField(help_text="allowed, refused or none")
    route_to = serializers.CharField(allow_null=True)
    audio = AudioSerializer(allow_null=True)
    text = serializers.CharField()


class RoutingChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="dotted path, e.g. numbers.list or languages.de.text")
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class VersionReportSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    version_id = serializers.IntegerField()
    mode = serializers.CharField()
    published_at = serializers.DateTimeField()
    calls = serializers.IntegerField()
    objections = serializers.IntegerField()
    consents = serializers.IntegerField()
    consent_rate = serializers.FloatField(
        allow_null=True, help_text="calls that did not object ÷ calls; null without calls"
    )
