from rest_framework import serializers

from hostedpbx.api.serializers import RefuseUnwritableFieldsMixin
from tenancy.models import PbxUser


class PbxUserSerializer(RefuseUnwritableFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = PbxUser
        fields = ["extension", "display_name", "email", "client_type", "record_all_calls",
                  "attention_tone", "is_active", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness per tenant is checked by the service (code ``extension_taken``).
        validators: list = []


class PbxUserUpdateSerializer(PbxUserSerializer):
    class Meta(PbxUserSerializer.Meta):
        read_only_fields = ["extension", "created_at", "updated_at"]


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
