from django.utils import timezone
from rest_framework import serializers

from hostedpbx.api.serializers import RefuseUnwritableFieldsMixin
from tenancy.choices import Role
from tenancy.models import Invitation, Membership, PbxUser


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
    otp = serializers.CharField(required=False, allow_blank=True, max_length=32,
                                help_text="the authenticator's code (or a recovery code): "
                                          "required once the account has set up two-factor "
                                          "login")


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class InvitationSerializer(serializers.ModelSerializer):
    """An invitation as the inviting tenant's admins see it: by the username they typed. The
    account it reached (if any) is never shown, so the answer is the same whether or not the
    name exists."""

    extension = serializers.CharField(source="pbx_user.extension", read_only=True,
                                      default=None, allow_null=True)
    invited_by = serializers.CharField(source="invited_by.username", read_only=True,
                                       default=None, allow_null=True)
    status = serializers.SerializerMethodField(
        help_text="`pending`, `accepted`, `declined`, `revoked` or `expired`")

    class Meta:
        model = Invitation
        fields = ["id", "username", "role", "extension", "invited_by", "status", "created_at",
                  "expires_at", "accepted_at", "declined_at", "revoked_at"]
        read_only_fields = fields

    def get_status(self, invitation) -> str:
        return invitation.status(timezone.now())


class InvitationCreateSerializer(RefuseUnwritableFieldsMixin, serializers.Serializer):
    username = serializers.CharField(max_length=150,
                                     help_text="the person's full username, as they sign in")
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)
    extension = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                      max_length=15,
                                      help_text="one of the tenant's extensions; agents need one")


class MembershipSerializer(serializers.ModelSerializer):
    """A portal account's membership in the tenant, as the admins' list shows it."""

    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.SerializerMethodField()
    extension = serializers.CharField(source="pbx_user.extension", read_only=True,
                                      default=None, allow_null=True)
    last_login = serializers.DateTimeField(source="user.last_login", read_only=True,
                                           allow_null=True)

    class Meta:
        model = Membership
        fields = ["id", "username", "name", "role", "extension", "last_login", "created_at"]
        read_only_fields = fields

    def get_name(self, membership) -> str:
        return membership.user.get_full_name()


class MembershipCreatedSerializer(MembershipSerializer):
    password = serializers.CharField(read_only=True, help_text="the one-time password, shown "
                                     "once; the person chooses their own at the first login")

    class Meta(MembershipSerializer.Meta):
        fields = [*MembershipSerializer.Meta.fields, "password"]
        read_only_fields = fields


class OwnInvitationSerializer(serializers.ModelSerializer):
    """An invitation as the invited person sees it: which tenant, as what, from whom."""

    tenant = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tenant_name = serializers.CharField(source="tenant.name", read_only=True)
    extension = serializers.CharField(source="pbx_user.extension", read_only=True,
                                      default=None, allow_null=True)
    invited_by = serializers.CharField(source="invited_by.username", read_only=True,
                                       default=None, allow_null=True)

    class Meta:
        model = Invitation
        fields = ["id", "tenant", "tenant_name", "role", "extension", "invited_by",
                  "created_at", "expires_at"]
        read_only_fields = fields


class InvitationAcceptedSerializer(serializers.Serializer):
    tenant = serializers.CharField(read_only=True, help_text="the tenant's slug")
    membership_id = serializers.IntegerField(read_only=True)
    role = serializers.CharField(read_only=True)


class TwoFactorResetSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="the membership's id")
    devices_removed = serializers.IntegerField(read_only=True,
                                               help_text="second factors removed (0: none set up)")


class MembershipCreateSerializer(RefuseUnwritableFieldsMixin, serializers.Serializer):
    name = serializers.RegexField(r"^[\w.@+-]+$", max_length=100,
                                  help_text="the part after `<tenant slug>.`: new accounts are "
                                            "named in the tenant's namespace")
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)
    extension = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                      max_length=15)


class MembershipUpdateSerializer(RefuseUnwritableFieldsMixin, serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    extension = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                      max_length=15, help_text="empty or null: no extension")
