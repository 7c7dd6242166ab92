from rest_framework import serializers

from audit.models import AuditEvent

EVENT_FIELDS = ["id", "chain", "seq", "occurred_at", "actor_type", "actor_id", "actor_label",
                "action", "object_type", "object_id", "data", "ip", "prev_hash", "hash"]


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = EVENT_FIELDS
        read_only_fields = EVENT_FIELDS


class VerifyResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    count = serializers.IntegerField()
    bad_event_id = serializers.IntegerField(allow_null=True)
    bad_seq = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    message = serializers.CharField()
