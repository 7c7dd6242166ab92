from rest_framework import serializers

from licensing.choices import License
from licensing.models import LicenseAssignment, LicensePool


class LicensePoolSerializer(serializers.ModelSerializer):
    """A tenant's pool; ``available`` is what may still be assigned today (an expired or not
    yet valid pool offers none)."""

    label = serializers.CharField(source="get_license_display", read_only=True)
    used = serializers.IntegerField(read_only=True)
    available = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()

    class Meta:
        model = LicensePool
        fields = ["license", "label", "quantity", "used", "available", "valid_from",
                  "valid_until", "status", "updated_at"]
        read_only_fields = fields

    def get_available(self, pool) -> int:
        return max(0, pool.effective_quantity_on(self.context["today"]) - pool.used)

    def get_status(self, pool) -> str:
        return pool.status_on(self.context["today"])


class LicenseAssignmentSerializer(serializers.ModelSerializer):
    extension = serializers.CharField(source="pbx_user.extension", read_only=True)
    display_name = serializers.CharField(source="pbx_user.display_name", read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = LicenseAssignment
        fields = ["id", "extension", "display_name", "license", "active", "assigned_at",
                  "assigned_by", "assign_reason", "revoked_at", "revoked_by", "revoke_reason"]
        read_only_fields = fields


class WarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


class LicenseAssignmentCreatedSerializer(LicenseAssignmentSerializer):
    """The new assignment plus what will not work for this user (e.g. Monitor on a desk
    phone: recorded automatically, but not monitorable)."""

    warnings = WarningSerializer(many=True, read_only=True)

    class Meta(LicenseAssignmentSerializer.Meta):
        fields = [*LicenseAssignmentSerializer.Meta.fields, "warnings"]
        read_only_fields = fields


class LicenseAssignmentCreateSerializer(serializers.Serializer):
    extension = serializers.CharField(max_length=15)
    license = serializers.ChoiceField(choices=License.choices)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class LicenseRevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PolicyFlagSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    reason = serializers.CharField(allow_null=True, help_text="Why the flag is off, in plain "
                                   "words (null when on).")
    codes = serializers.ListField(child=serializers.CharField(),
                                  help_text="Stable reason codes (empty when on).")


class PolicySettingsSerializer(serializers.Serializer):
    record_all_calls = serializers.BooleanField()
    attention_tone = serializers.BooleanField()


class PolicySerializer(serializers.Serializer):
    """The effective policy (documentation of the body; built by licensing.policy)."""

    extension = serializers.CharField()
    display_name = serializers.CharField()
    active = serializers.BooleanField()
    client_type = serializers.CharField()
    settings = PolicySettingsSerializer()
    licenses = serializers.ListField(child=serializers.CharField())
    licenses_lapsed = serializers.ListField(child=serializers.CharField())
    licenses_ineffective = serializers.ListField(child=serializers.CharField())
    auto_record = PolicyFlagSerializer()
    monitorable = PolicyFlagSerializer()
    record_on_demand_server = PolicyFlagSerializer()
    record_on_demand_client = PolicyFlagSerializer()
    attention_tone = PolicyFlagSerializer()
    supervisors = serializers.ListField(child=serializers.CharField())
    supervisors_configured = serializers.ListField(child=serializers.CharField())
    summary = serializers.CharField()
    notes = serializers.ListField(child=serializers.CharField())
    version = serializers.CharField()
