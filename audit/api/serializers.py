from rest_framework import serializers

from audit.actions import action_category, action_label
from audit.models import AuditEvent

EVENT_FIELDS = ["id", "chain", "seq", "occurred_at", "actor_type", "actor_id", "actor_label",
                "action", "object_type", "object_id", "data", "ip", "prev_hash", "hash"]


class AuditEventSerializer(serializers.ModelSerializer):
    action_label = serializers.SerializerMethodField()
    category = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [*EVENT_FIELDS, "action_label", "category"]
        read_only_fields = EVENT_FIELDS

    def get_action_label(self, event) -> str:
        """The action in the request's language."""
        return action_label(event.action)

    def get_category(self, event) -> str:
        return action_category(event.action)


class VerifyResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    count = serializers.IntegerField()
    bad_event_id = serializers.IntegerField(allow_null=True)
    bad_seq = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    message = serializers.CharField()
    last_seq = serializers.IntegerField()
    last_time = serializers.CharField(allow_blank=True)
    checkpoint_seq = serializers.IntegerField(help_text="the last signed checkpoint checked")
    public_key = serializers.CharField()
