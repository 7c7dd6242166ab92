from rest_framework import serializers

from supervision.choices import PbxEvent
from supervision.models import MonitoringSession, SessionEvent, SessionParticipant, SupervisionGrant


class GrantSerializer(serializers.ModelSerializer):
    agent = serializers.CharField(source="agent.extension", read_only=True)
    agent_name = serializers.CharField(source="agent.display_name", read_only=True)
    supervisor = serializers.CharField(source="supervisor.extension", read_only=True)
    supervisor_name = serializers.CharField(source="supervisor.display_name", read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)
    valid_now = serializers.SerializerMethodField()

    class Meta:
        model = SupervisionGrant
        fields = [
            "id",
            "agent",
            "agent_name",
            "supervisor",
            "supervisor_name",
            "valid_from",
            "valid_until",
            "purpose",
            "active",
            "valid_now",
            "created_at",
            "created_by",
            "revoked_at",
            "revoked_by",
            "revoke_reason",
        ]
        read_only_fields = fields

    def get_valid_now(self, grant) -> bool:
        return grant.valid_at(self.context["now"])


class GrantCreateSerializer(serializers.Serializer):
    agent = serializers.CharField(max_length=15)
    supervisor = serializers.CharField(max_length=15)
    valid_from = serializers.DateTimeField(required=False, allow_null=True, default=None)
    valid_until = serializers.DateTimeField(required=False, allow_null=True, default=None)
    purpose = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class GrantUpdateSerializer(serializers.Serializer):
    valid_from = serializers.DateTimeField(required=False, allow_null=True)
    valid_until = serializers.DateTimeField(required=False, allow_null=True)
    purpose = serializers.CharField(max_length=500, required=False, allow_blank=True)


class GrantRevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ParticipantSerializer(serializers.ModelSerializer):
    supervisor = serializers.CharField(source="supervisor_extension")

    class Meta:
        model = SessionParticipant
        fields = ["supervisor", "joined_at", "left_at", "leave_reason"]
        read_only_fields = fields
        # "" while the supervisor is in the session; read-only model fields lose
        # ``allow_blank``, and the schema's enum would lack it.
        extra_kwargs = {"leave_reason": {"allow_blank": True}}


class SessionEventSerializer(serializers.ModelSerializer):
    supervisor = serializers.CharField(source="supervisor_extension")

    class Meta:
        model = SessionEvent
        fields = ["seq", "at", "kind", "supervisor", "key", "mode_before", "mode_after", "reason"]
        read_only_fields = fields


class MonitoringSessionSerializer(serializers.ModelSerializer):
    agent = serializers.CharField(source="agent_extension")
    # A plain string in the schema: "status" enums of other parts would collide by name.
    status = serializers.CharField(help_text="`live` or `ended`")
    participants = ParticipantSerializer(many=True, read_only=True)

    class Meta:
        model = MonitoringSession
        fields = [
            "id",
            "agent",
            "call_id",
            "status",
            "mode",
            "started_at",
            "mode_since",
            "ended_at",
            "end_reason",
            "participants",
        ]
        read_only_fields = fields
        extra_kwargs = {"end_reason": {"allow_blank": True}}  # "" while the session is live


class MonitoringSessionDetailSerializer(MonitoringSessionSerializer):
    events = serializers.SerializerMethodField()

    class Meta(MonitoringSessionSerializer.Meta):
        fields = [*MonitoringSessionSerializer.Meta.fields, "events"]
        read_only_fields = fields

    def get_events(self, session) -> list[dict]:
        return SessionEventSerializer(session.events.order_by("seq"), many=True).data


# --- PBX ------------------------------------------------------------------------------------
class AuthorizeSerializer(serializers.Serializer):
    supervisor = serializers.RegexField(r"^[0-9]{2,15}$", max_length=15)
    dialed = serializers.CharField(max_length=1000, trim_whitespace=False, allow_blank=True)
    call_id = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")


class SessionEventInSerializer(serializers.Serializer):
    supervisor = serializers.RegexField(r"^[0-9]{2,15}$", max_length=15)
    event = serializers.ChoiceField(choices=PbxEvent.values)
    key = serializers.CharField(
        max_length=8, required=False, allow_blank=True, trim_whitespace=False
    )

    def validate(self, data):
        if data["event"] == PbxEvent.KEY and not data.get("key"):
            raise serializers.ValidationError(
                {"key": serializers.ErrorDetail("Required for a key event.", code="required")}
            )
        return data


class SessionStateSerializer(serializers.Serializer):
    """The session as the PBX's mixer needs it (documentation of the body)."""

    session_id = serializers.IntegerField()
    status = serializers.CharField()
    mode = serializers.IntegerField()
    supervisors = serializers.ListField(child=serializers.CharField())
    hears = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="listener → the participants they hear (caller, agent, supervisor extensions)",
    )
    agent_tone = serializers.BooleanField(help_text="play the short tone to the agent now")
    seq = serializers.IntegerField(help_text="the session's last history number")


class AuthorizeResponseSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    reason = serializers.CharField(required=False)
    session_id = serializers.IntegerField(required=False)
    mode = serializers.IntegerField(required=False)
