"""Tenants, PBX nodes, PBX users (extensions) and portal memberships."""

import hashlib
import secrets

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hostedpbx.scoping import TenantOwnedModel, TenantQuerySet, scoped_managers

from . import permissions
from .choices import ClientType, Role, TenantStatus

extension_validator = RegexValidator(
    r"^[0-9]{2,15}$", _("An extension consists of 2 to 15 digits."), code="invalid_extension"
)
slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    _("Lower-case letters, digits and hyphens; 1 to 50 characters."),
    code="invalid_slug",
)


class Tenant(models.Model):
    slug = models.SlugField(max_length=50, unique=True, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=TenantStatus.choices, default=TenantStatus.ACTIVE
    )
    locale = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="de"
    )
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Berlin")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self):
        return f"{self.name} ({self.slug})"

    @property
    def is_active(self):
        return self.status == TenantStatus.ACTIVE


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PbxNode(TenantOwnedModel):
    """A PBX machine of one tenant; authenticates with a bearer token stored only as a hash."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="pbx_nodes")
    name = models.CharField(_("name"), max_length=100, validators=[slug_validator])
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(max_length=12, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True, editable=False)

    # A node acts as a principal of its own tenant (see hostedpbx.scoping).
    is_pbx_node = True
    is_authenticated = True
    is_anonymous = False

    class Meta:
        ordering = ["tenant", "name"]
        verbose_name = _("PBX node")
        verbose_name_plural = _("PBX nodes")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"], name="%(app_label)s_%(class)s_unique_name"
            )
        ]

    def __str__(self):
        return f"{self.tenant.slug}/{self.name}"

    @staticmethod
    def new_token() -> str:
        return "pbxn_" + secrets.token_urlsafe(32)


class PbxUserQuerySet(TenantQuerySet):
    pass


class PbxUser(TenantOwnedModel):
    """A user of the PBX: an extension with a name and the kind of client they use."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="pbx_users")
    extension = models.CharField(_("extension"), max_length=15, validators=[extension_validator])
    display_name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    client_type = models.CharField(
        _("client type"),
        max_length=16,
        choices=ClientType.choices,
        default=ClientType.SOFTPHONE_USB,
    )
    record_all_calls = models.BooleanField(
        _("record all calls"),
        default=True,
        help_text=_("With a Monitor licence, every call of this user is recorded on the server."),
    )
    attention_tone = models.BooleanField(
        _("attention tone"),
        default=True,
        help_text=_("The caller hears a beep while a manual recording runs."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    unscoped, objects = scoped_managers(PbxUserQuerySet)

    class Meta:
        ordering = ["tenant", "extension"]
        verbose_name = _("PBX user")
        verbose_name_plural = _("PBX users")
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "extension"], name="%(app_label)s_%(class)s_unique_extension"
            ),
            models.CheckConstraint(
                condition=Q(client_type__in=ClientType.values),
                name="%(app_label)s_%(class)s_client_type_valid",
            ),
        ]

    def __str__(self):
        return f"{self.extension} {self.display_name}"


class Membership(TenantOwnedModel):
    """A portal account's role in one tenant (an account may belong to several tenants)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    pbx_user = models.ForeignKey(
        PbxUser,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("PBX user"),
        help_text=_("The extension this account speaks for (an agent's own recordings)."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tenant", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user"], name="%(app_label)s_%(class)s_unique_user"
            ),
            models.UniqueConstraint(
                fields=["tenant", "pbx_user"],
                condition=Q(pbx_user__isnull=False),
                name="%(app_label)s_%(class)s_unique_pbx_user",
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="%(app_label)s_%(class)s_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} @ {self.tenant.slug} ({self.role})"

    def has_role(self, *roles):
        return self.role in roles

    @property
    def is_admin(self):
        return permissions.administers_tenant(self)


class PasswordChangeRequired(models.Model):
    """The account signs in with a one-time password and must choose its own first."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="password_change_required")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("password change required")
        verbose_name_plural = _("password changes required")

    def __str__(self):
        return str(self.user)


class ApiToken(models.Model):
    """A personal API token: named, optionally expiring, revocable; stored only as a hash.

    It belongs to the account (not to a tenant): the URL names the tenant and the account's
    membership there decides what the token may do, as for a web session.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.user} {self.name} ({self.prefix}…)"

    @staticmethod
    def new_key() -> str:
        return "hpt_" + secrets.token_urlsafe(32)

    def is_usable(self, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class InvitationQuerySet(TenantQuerySet):
    def unanswered(self):
        """Invitations nobody has accepted, declined or revoked (expired or not)."""
        return self.filter(accepted_at__isnull=True, declined_at__isnull=True,
                           revoked_at__isnull=True)

    def pending(self, now):
        """Invitations nobody has answered or revoked yet and that have not expired."""
        return self.unanswered().filter(expires_at__gt=now)


class Invitation(TenantOwnedModel):
    """A tenant invites an existing account, which the person accepts or declines.

    ``username`` is what the inviting admin typed and all the tenant ever sees; ``account`` is
    resolved when the invitation is made and never shown to the tenant (the reply to the admin
    is the same whether or not the account exists), so an invitation of an unknown name simply
    stays pending until it expires.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="invitations")
    username = models.CharField(_("username"), max_length=150)
    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True,
                                blank=True, related_name="invitations_received", editable=False)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    pbx_user = models.ForeignKey(PbxUser, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("PBX user"))
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("invited"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    unscoped, objects = scoped_managers(InvitationQuerySet)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="%(app_label)s_%(class)s_role_valid"
            ),
            # An invitation ends at most one way.
            models.CheckConstraint(
                condition=(
                    Q(accepted_at__isnull=True, declined_at__isnull=True)
                    | Q(accepted_at__isnull=True, revoked_at__isnull=True)
                    | Q(declined_at__isnull=True, revoked_at__isnull=True)
                ),
                name="%(app_label)s_%(class)s_one_outcome",
            ),
        ]

    def __str__(self):
        return f"{self.username} @ {self.tenant.slug} ({self.role})"

    def status(self, now) -> str:
        """``accepted``, ``declined``, ``revoked``, ``expired`` or ``pending``."""
        if self.accepted_at:
            return "accepted"
        if self.declined_at:
            return "declined"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "pending"

    def is_pending(self, now) -> bool:
        return self.status(now) == "pending"
