"""Writes of the tenancy part. Each runs in one transaction and audits the change in it."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
import audit.models

from . import permissions
from .choices import ClientType, Role
from .models import (
    ApiToken,
    Invitation,
    Membership,
    PasswordChangeRequired,
    PbxNode,
    PbxUser,
    Tenant,
    hash_token,
)

PBX_USER_FIELDS = ("display_name", "email", "client_type", "record_all_calls", "attention_tone",
                   "is_active")


def create_tenant(*, actor, slug: str, name: str, locale: str = "de",
                  timezone: str = "Europe/Berlin") -> Tenant:
    with transaction.atomic():
        tenant = Tenant(slug=slug, name=name, locale=locale, timezone=timezone)
        tenant.full_clean()
        tenant.save()
        audit.record(actor=actor, tenant=tenant, action="tenant.created", obj=tenant,
                     data={"slug": slug, "name": name})
    return tenant


def update_tenant(*, actor, tenant: Tenant, **changes) -> Tenant:
    with transaction.atomic():
        before = {k: getattr(tenant, k) for k in changes}
        for key, value in changes.items():
            setattr(tenant, key, value)
        tenant.full_clean()
        tenant.save()
        audit.record(actor=actor, tenant=tenant, action="tenant.updated", obj=tenant,
                     data={"before": before, "after": changes})
    return tenant


def create_pbx_node(*, actor, tenant: Tenant, name: str) -> tuple[PbxNode, str]:
    """Create a node; returns it and its API token, which is shown this once and never stored."""
    token = PbxNode.new_token()
    with transaction.atomic():
        node = PbxNode(tenant=tenant, name=name, token_hash=hash_token(token),
                       token_prefix=token[:10])
        node.full_clean(exclude=["token_hash", "token_prefix"])
        node.save()
        audit.record(actor=actor, tenant=tenant, action="pbx_node.created", obj=node,
                     data={"name": name, "token_prefix": node.token_prefix})
    return node, token


def rotate_pbx_node_token(*, actor, node: PbxNode) -> str:
    token = PbxNode.new_token()
    with transaction.atomic():
        node.token_hash = hash_token(token)
        node.token_prefix = token[:10]
        node.save(update_fields=["token_hash", "token_prefix"])
        audit.record(actor=actor, tenant=node.tenant_id, action="pbx_node.token_rotated",
                     obj=node, data={"token_prefix": node.token_prefix})
    return token


def _clean_pbx_user(user: PbxUser):
    try:
        user.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError:
        raise
    clash = PbxUser.unscoped.filter(tenant_id=user.tenant_id, extension=user.extension)
    if user.pk:
        clash = clash.exclude(pk=user.pk)
    if clash.exists():
        raise ValidationError(
            {"extension": ValidationError(_("This extension exists already."),
                                          code="extension_taken")}
        )


def create_pbx_user(*, actor, tenant: Tenant, extension: str, display_name: str,
                    client_type: str = ClientType.SOFTPHONE_USB, **fields) -> PbxUser:
    """Create a PBX user. Raises ``ValidationError`` (codes ``invalid_extension``,
    ``extension_taken``, ...) and writes nothing when the input is bad."""
    user = PbxUser(tenant=tenant, extension=extension, display_name=display_name,
                   client_type=client_type, **fields)
    with transaction.atomic():
        _clean_pbx_user(user)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise ValidationError({"extension": ValidationError(
                _("This extension exists already."), code="extension_taken")})
        audit.record(actor=actor, tenant=tenant, action="pbx_user.created", obj=user,
                     data={"extension": extension, "display_name": display_name,
                           "client_type": client_type, **fields})
    _after_pbx_user_change(user)
    return user


def update_pbx_user(*, actor, pbx_user: PbxUser, **changes) -> PbxUser:
    """Change the given fields of a PBX user (not its extension, which identifies it to the
    PBX); audits before/after of what actually changed."""
    unknown = set(changes) - set(PBX_USER_FIELDS)
    if unknown:
        raise ValueError(f"not changeable: {sorted(unknown)}")
    with transaction.atomic():
        locked = PbxUser.unscoped.select_for_update().get(pk=pbx_user.pk)
        before = {k: getattr(locked, k) for k in changes}
        for key, value in changes.items():
            setattr(locked, key, value)
        _clean_pbx_user(locked)
        locked.save()
        diff = {k: {"before": before[k], "after": v} for k, v in changes.items() if before[k] != v}
        if diff:
            audit.record(actor=actor, tenant=locked.tenant_id, action="pbx_user.updated",
                         obj=locked, data={"extension": locked.extension, "changes": diff})
    _after_pbx_user_change(locked)
    return locked


def _after_pbx_user_change(pbx_user: PbxUser):
    """Hooks of later parts (e.g. releasing quarantined recordings of a new extension).

    Each hook is ``callable(pbx_user)`` and runs after the commit.
    """
    for hook in PBX_USER_CHANGED_HOOKS:
        transaction.on_commit(lambda hook=hook: hook(pbx_user))


PBX_USER_CHANGED_HOOKS: list = []


def create_portal_user(*, actor, tenant: Tenant, username: str, password: str | None,
                       role: str, pbx_user: PbxUser | None = None, email: str = "",
                       first_name: str = "", last_name: str = "",
                       validate_password: bool = False) -> Membership:
    """Create (or reuse) a portal account and give it ``role`` in ``tenant`` (provider tools:
    the CLI, ``seed_demo``). Tenant admins add accounts with :func:`add_account` instead.

    An existing account keeps its password unless one is given; re-running with the same
    arguments changes nothing and audits nothing (idempotent for ``seed_demo``). With
    ``validate_password`` the password must pass Django's validators.
    """
    if role not in Role.values:
        raise ValidationError({"role": ValidationError(_("Unknown role."), code="invalid_role")})
    _check_pbx_user_of(tenant, pbx_user)
    User = get_user_model()
    with transaction.atomic():
        account, created = User.objects.get_or_create(
            username=username,
            defaults={"email": email, "first_name": first_name, "last_name": last_name},
        )
        if password and (created or not account.check_password(password)):
            if validate_password:
                password_validation.validate_password(password, account)
            account.set_password(password)
            account.save()
        elif created:
            account.set_unusable_password()
            account.save()
        membership = Membership.unscoped.filter(tenant=tenant, user=account).first()
        if membership and membership.role == role and membership.pbx_user_id == getattr(
            pbx_user, "pk", None
        ):
            return membership
        if membership is None:
            membership = Membership(tenant=tenant, user=account)
        before = {"role": membership.role, "pbx_user": membership.pbx_user_id}
        membership.role = role
        membership.pbx_user = pbx_user
        membership.save()
        audit.record(
            actor=actor, tenant=tenant, action="membership.saved", obj=membership,
            data={"username": username, "role": role,
                  "extension": pbx_user.extension if pbx_user else None,
                  "account_created": created, "before": before},
        )
    return membership


def _check_pbx_user_of(tenant, pbx_user):
    """A membership's extension must belong to the same tenant."""
    tenant_id = getattr(tenant, "pk", tenant)
    if pbx_user is not None and pbx_user.tenant_id != tenant_id:
        raise ValidationError({"pbx_user": ValidationError(
            _("This extension belongs to another tenant."), code="extension_other_tenant")})


def _check_role_needs(role, pbx_user):
    if permissions.role_needs_extension(role) and pbx_user is None:
        raise ValidationError({"pbx_user": ValidationError(
            _("An agent needs an extension: agents see the recordings of their extension."),
            code="extension_required")})


def new_one_time_password() -> str:
    return secrets.token_urlsafe(12)


INVITATION_VALIDITY = datetime.timedelta(days=14)


def namespaced_username(tenant: Tenant, name: str) -> str:
    """The username of an account a tenant creates in the menu: ``<tenant slug>.<name>``.

    A tenant admin thus only ever names accounts inside the own namespace and cannot probe
    names elsewhere (the CLI and the provider's admin name accounts freely). Raises
    ``ValidationError`` (``max_length``) when the whole name would not fit an account."""
    username = f"{tenant.slug}.{name}"
    if len(username) > get_user_model()._meta.get_field("username").max_length:
        raise ValidationError({"username": ValidationError(_("This name is too long."),
                                                           code="max_length")})
    return username


def _was_member(tenant: Tenant, account) -> bool:
    """Whether ``account`` is or was a member of ``tenant`` (its trail records every
    membership saved there), i.e. whether the tenant's admins know the account anyway."""
    if Membership.unscoped.filter(tenant=tenant, user=account).exists():
        return True
    return audit.models.AuditEvent.unscoped.filter(
        tenant=tenant, action__in=["membership.saved", "membership.removed"],
        data__username=account.get_username()).exists()


@dataclass(frozen=True)
class AddedAccount:
    """The outcome of :func:`add_account`: a new account with its one-time password, or,
    when the name belongs to an account this tenant never had, an invitation of it."""

    membership: Membership | None = None
    password: str | None = None
    invitation: Invitation | None = None


def _grant_membership(*, actor, tenant: Tenant, account, role: str,
                      pbx_user: PbxUser | None, data: dict) -> Membership:
    """Give ``account`` ``role`` (and ``pbx_user``) in ``tenant``, inside the caller's
    transaction, with the checks every new membership passes; audits ``membership.saved``."""
    if role not in Role.values:
        raise ValidationError({"role": ValidationError(_("Unknown role."), code="invalid_role")})
    _check_pbx_user_of(tenant, pbx_user)
    _check_role_needs(role, pbx_user)
    if pbx_user is not None and Membership.unscoped.filter(
            tenant=tenant, pbx_user=pbx_user).exists():
        raise ValidationError({"pbx_user": ValidationError(
            _("This extension is linked to another account."), code="extension_linked")})
    _lock_account(account.pk)  # a reset of the account elsewhere waits, or is waited for
    if Membership.unscoped.filter(tenant=tenant, user=account).exists():
        raise ValidationError(_("This account is a member of the tenant already."),
                              code="already_member")
    membership = Membership.unscoped.create(tenant=tenant, user=account, role=role,
                                            pbx_user=pbx_user)
    audit.record(
        actor=actor, tenant=tenant, action="membership.saved", obj=membership,
        data={"username": account.get_username(), "role": role,
              "extension": pbx_user.extension if pbx_user else None,
              "before": {"role": None, "pbx_user": None}, **data},
    )
    return membership


def add_account(*, actor, tenant: Tenant, name: str, role: str = Role.MEMBER,
                pbx_user: PbxUser | None = None, email: str = "", first_name: str = "",
                last_name: str = "") -> AddedAccount:
    """A tenant admin adds a new person: a new account ``<tenant slug>.<name>`` with a
    one-time password, which the person must change at the first login. The password is
    returned to be shown once, never stored in clear or put into a message cookie.

    Accounts belong to people, not to whichever tenant asks. A name taken by an account that
    is or was a member of this tenant is refused (``username_taken``: the admins know it). A
    name taken by any other account is not attached but invited (:func:`invite_account`),
    and the view answers exactly as for an invitation, so nothing is learnt about the account.
    """
    if role not in Role.values:
        raise ValidationError({"role": ValidationError(_("Unknown role."), code="invalid_role")})
    _check_pbx_user_of(tenant, pbx_user)
    _check_role_needs(role, pbx_user)
    username = namespaced_username(tenant, name)
    User = get_user_model()
    password = new_one_time_password()
    with transaction.atomic():
        existing = User.objects.filter(username__iexact=username).first()
        if existing is not None:
            if _was_member(tenant, existing):
                raise ValidationError({"username": ValidationError(
                    _("An account of this tenant has this name already."),
                    code="username_taken")})
            return AddedAccount(invitation=invite_account(
                actor=actor, tenant=tenant, username=username, role=role, pbx_user=pbx_user))
        try:
            with transaction.atomic():
                account = User.objects.create(username=username, email=email,
                                              first_name=first_name, last_name=last_name)
        except IntegrityError:
            raise ValidationError({"username": ValidationError(
                _("This username cannot be used. Please choose another one."),
                code="username_unavailable")}) from None
        account.set_password(password)
        account.save(update_fields=["password"])
        PasswordChangeRequired.objects.create(user=account)
        membership = _grant_membership(actor=actor, tenant=tenant, account=account, role=role,
                                       pbx_user=pbx_user, data={"account_created": True})
    return AddedAccount(membership=membership, password=password)


def invite_account(*, actor, tenant: Tenant, username: str, role: str = Role.MEMBER,
                   pbx_user: PbxUser | None = None) -> Invitation:
    """Invite the account named ``username`` (exact, any case) into ``tenant``.

    The invitation is made, audited (``invitation.created``, with what was typed) and
    returned whether or not such an account exists; the account is resolved now and kept out
    of everything the tenant sees. An account that is already a member is not resolved (its
    invitation can never be accepted). Raises ``ValidationError`` only for what the tenant
    knows: an unknown role, an extension of another tenant or one linked to another account.
    """
    if role not in Role.values:
        raise ValidationError({"role": ValidationError(_("Unknown role."), code="invalid_role")})
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": ValidationError(_("Enter a username."),
                                                           code="required")})
    _check_pbx_user_of(tenant, pbx_user)
    _check_role_needs(role, pbx_user)
    if pbx_user is not None and Membership.unscoped.filter(
            tenant=tenant, pbx_user=pbx_user).exists():
        raise ValidationError({"pbx_user": ValidationError(
            _("This extension is linked to another account."), code="extension_linked")})
    account = get_user_model().objects.filter(username__iexact=username, is_active=True).first()
    if account is not None and Membership.unscoped.filter(tenant=tenant, user=account).exists():
        account = None
    with transaction.atomic():
        invitation = Invitation.unscoped.create(
            tenant=tenant, username=username, account=account, role=role, pbx_user=pbx_user,
            invited_by=actor if getattr(actor, "pk", None) else None,
            expires_at=timezone.now() + INVITATION_VALIDITY)
        audit.record(actor=actor, tenant=tenant, action="invitation.created", obj=invitation,
                     data={"username": username, "role": role,
                           "extension": pbx_user.extension if pbx_user else None,
                           "expires_at": invitation.expires_at.isoformat()})
    return invitation


def _lock_pending(invitation: Invitation) -> Invitation:
    locked = Invitation.unscoped.select_for_update().select_related("tenant").get(
        pk=invitation.pk)
    if not locked.is_pending(timezone.now()) or not locked.tenant.is_active:
        raise ValidationError(_("This invitation is no longer open."), code="not_pending")
    return locked


def accept_invitation(*, actor, invitation: Invitation) -> Membership:
    """The invited person accepts: the membership is created with the same checks as any
    other (extension of the tenant, not linked elsewhere, ...) and both are audited in the
    inviting tenant's trail. Only the invited account may accept (``PermissionDenied``
    otherwise); an answered, revoked or expired invitation raises ``ValidationError``."""
    if invitation.account_id is None or invitation.account_id != actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        _lock_tenant(invitation.tenant_id)
        locked = _lock_pending(invitation)
        membership = _grant_membership(actor=actor, tenant=locked.tenant, account=actor,
                                       role=locked.role, pbx_user=locked.pbx_user,
                                       data={"invitation": locked.pk})
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
        audit.record(actor=actor, tenant=locked.tenant_id, action="invitation.accepted",
                     obj=locked, data={"username": locked.username, "role": locked.role})
    return membership


def decline_invitation(*, actor, invitation: Invitation) -> Invitation:
    """The invited person declines (audited in the inviting tenant's trail)."""
    if invitation.account_id is None or invitation.account_id != actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        locked = _lock_pending(invitation)
        locked.declined_at = timezone.now()
        locked.save(update_fields=["declined_at"])
        audit.record(actor=actor, tenant=locked.tenant_id, action="invitation.declined",
                     obj=locked, data={"username": locked.username})
    return locked


def revoke_invitation(*, actor, invitation: Invitation) -> Invitation:
    """An admin of the inviting tenant withdraws a pending invitation (audited)."""
    with transaction.atomic():
        locked = _lock_pending(invitation)
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit.record(actor=actor, tenant=locked.tenant_id, action="invitation.revoked",
                     obj=locked, data={"username": locked.username})
    return locked


def belongs_elsewhere(membership: Membership) -> bool:
    """Whether ``membership``'s account is a member of other tenants too."""
    return Membership.unscoped.filter(user_id=membership.user_id).exclude(
        tenant_id=membership.tenant_id).exists()


def _lock_account(user_id) -> None:
    """Serialise what depends on an account's memberships (a reset, a new membership): each
    decides after the other has committed."""
    get_user_model().objects.select_for_update().filter(pk=user_id).first()


def ensure_sign_in_resettable(membership: Membership) -> None:
    """A tenant's admins reset the sign-in (password, second factor) of accounts that belong
    to their tenant alone. An account that is a member elsewhere too (an accepted invitation,
    an account the provider put into several tenants) would let them sign in to the other
    tenants as its person: its person changes the password, the provider resets it. Call it
    inside the reset's transaction: the account stays locked until the commit, so a membership
    elsewhere made meanwhile waits and the check does not depend on who came first. Raises
    ``ValidationError`` (``account_in_other_tenants``)."""
    _lock_account(membership.user_id)
    if belongs_elsewhere(membership):
        raise ValidationError(
            _("This account also belongs to other tenants: only its person or the provider "
              "can reset how it signs in."), code="account_in_other_tenants")


def reset_password(*, actor, membership: Membership) -> str:
    """An admin gives a member of the tenant a new one-time password (audited); the person must
    change it at the next login. Returns it, to be shown once. Refused for an account that
    belongs to other tenants too (:func:`ensure_sign_in_resettable`)."""
    password = new_one_time_password()
    with transaction.atomic():
        ensure_sign_in_resettable(membership)
        account = membership.user
        account.set_password(password)
        account.save(update_fields=["password"])
        PasswordChangeRequired.objects.get_or_create(user=account)
        audit.record(actor=actor, tenant=membership.tenant_id, action="account.password_reset",
                     obj=membership, data={"username": account.get_username()})
    return password


def change_own_password(*, actor, old_password: str, new_password: str) -> None:
    """A person changes their own password (Django's validators apply); audited in each of
    their tenants."""
    if not actor.check_password(old_password):
        raise ValidationError({"old_password": ValidationError(
            _("The current password is wrong."), code="password_incorrect")})
    password_validation.validate_password(new_password, actor)
    with transaction.atomic():
        actor.set_password(new_password)
        actor.save(update_fields=["password"])
        PasswordChangeRequired.objects.filter(user=actor).delete()
        tenant_ids = list(Membership.unscoped.filter(user=actor).values_list("tenant_id",
                                                                             flat=True))
        for tenant_id in tenant_ids or [None]:
            audit.record(actor=actor, tenant=tenant_id, action="account.password_changed",
                         obj=actor, data={"username": actor.get_username()})


class LastAdminError(ValidationError):
    pass


def _lock_tenant(tenant_id):
    """Serialise changes to a tenant's admins: the check runs after the lock (check-then-act).
    On PostgreSQL a row lock; SQLite's write transactions are serial already."""
    Tenant.objects.select_for_update().filter(pk=tenant_id).first()


def _ensure_another_admin_remains(membership: Membership):
    others = Membership.unscoped.filter(
        tenant_id=membership.tenant_id, role__in=permissions.ADMINISTER_TENANT).exclude(
        pk=membership.pk)
    if permissions.administers_tenant(membership) and not others.exists():
        raise LastAdminError(_("A tenant needs at least one administrator."), code="last_admin")


def update_membership(*, actor, membership: Membership, role: str,
                      pbx_user: PbxUser | None) -> Membership:
    """Change an account's role and linked extension in the tenant (audited)."""
    if role not in Role.values:
        raise ValidationError({"role": ValidationError(_("Unknown role."), code="invalid_role")})
    _check_pbx_user_of(membership.tenant_id, pbx_user)
    _check_role_needs(role, pbx_user)
    with transaction.atomic():
        _lock_tenant(membership.tenant_id)
        locked = Membership.unscoped.select_for_update().get(pk=membership.pk)
        if not permissions.holds(permissions.ADMINISTER_TENANT, role):
            _ensure_another_admin_remains(locked)
        clash = Membership.unscoped.filter(tenant_id=locked.tenant_id, pbx_user=pbx_user).exclude(
            pk=locked.pk)
        if pbx_user is not None and clash.exists():
            raise ValidationError({"pbx_user": ValidationError(
                _("This extension is linked to another account."), code="extension_linked")})
        before = {"role": locked.role, "extension": getattr(locked.pbx_user, "extension", None)}
        locked.role = role
        locked.pbx_user = pbx_user
        locked.save(update_fields=["role", "pbx_user"])
        audit.record(actor=actor, tenant=locked.tenant_id, action="membership.saved", obj=locked,
                     data={"username": locked.user.get_username(), "before": before,
                           "role": role, "extension": getattr(pbx_user, "extension", None)})
    return locked


def remove_membership(*, actor, membership: Membership) -> None:
    """Remove an account from the tenant (the account itself stays; it may be in others).

    The tenant is locked before the last-admin check, so two admins removing each other at
    the same moment cannot leave the tenant without one."""
    with transaction.atomic():
        _lock_tenant(membership.tenant_id)
        locked = Membership.unscoped.select_for_update().filter(pk=membership.pk).first()
        if locked is None:
            return
        _ensure_another_admin_remains(locked)
        audit.record(actor=actor, tenant=locked.tenant_id, action="membership.removed",
                     obj=locked, data={"username": locked.user.get_username(),
                                       "role": locked.role})
        locked.delete()


def _account_tenant_ids(account):
    return list(Membership.unscoped.filter(user=account).values_list("tenant_id", flat=True))


def create_api_token(*, actor, name: str, expires_at=None) -> tuple[ApiToken, str]:
    """A new personal API token of ``actor``; returns it and its key (shown once only)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ValidationError(_("Give the token a name."),
                                                       code="required")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": ValidationError(
            _("The expiry must lie in the future."), code="expiry_in_past")})
    key = ApiToken.new_key()
    with transaction.atomic():
        token = ApiToken.objects.create(user=actor, name=name[:100], key_hash=hash_token(key),
                                        prefix=key[:10], expires_at=expires_at)
        for tenant_id in _account_tenant_ids(actor) or [None]:
            audit.record(actor=actor, tenant=tenant_id, action="api_token.created", obj=token,
                         data={"name": token.name, "prefix": token.prefix,
                               "expires_at": expires_at.isoformat() if expires_at else None})
    return token, key


def revoke_api_token(*, actor, token: ApiToken) -> ApiToken:
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        for tenant_id in _account_tenant_ids(locked.user) or [None]:
            audit.record(actor=actor, tenant=tenant_id, action="api_token.revoked", obj=locked,
                         data={"name": locked.name, "prefix": locked.prefix})
    return locked
