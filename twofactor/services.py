"""Writes of two-factor login: enrolment, verification, recovery codes, reset. All audited.

An account may belong to several tenants: each event goes into the chain of every tenant the
account belongs to (the provider chain when none), like the sign-in events.
"""

from __future__ import annotations

from django.db import transaction
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

import audit
from tenancy.models import Membership
from tenancy.services import ensure_sign_in_resettable

TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"
RECOVERY_CODES = 10


def _audit(*, actor, user, action, tenant_ids=None, data=None):
    if tenant_ids is None:
        tenant_ids = list(Membership.unscoped.filter(user=user).values_list("tenant_id",
                                                                              flat=True))
    for tenant_id in tenant_ids or [None]:
        audit.record(actor=actor, tenant=tenant_id, action=action, object_type="auth.user",
                     object_id=str(user.pk),
                     data={"username": user.get_username(), **(data or {})})


def has_confirmed_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user) -> TOTPDevice:
    """The account's unconfirmed authenticator (created on first use), for enrolment."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def confirm_enrolment(*, actor, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm ``device`` with a code from the authenticator app.

    Returns the new recovery codes (shown once) or None when the code is wrong. Earlier
    authenticators of the account are removed: one app per account.
    """
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=actor)
        if locked.confirmed or not locked.verify_token(token):
            return None
        TOTPDevice.objects.filter(user=actor).exclude(pk=locked.pk).delete()
        locked.confirmed = True
        locked.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(actor)
        _audit(actor=actor, user=actor, action="twofactor.enrolled",
               data={"device": locked.name, "recovery_codes": len(codes)})
    device.refresh_from_db()
    return codes


def verify_code(*, actor, token: str, ip: str = ""):
    """The device that accepts ``token`` (authenticator first, then a one-time recovery code),
    or None. Success and failure are audited; django-otp throttles repeated failures."""
    token = (token or "").strip().replace(" ", "").lower()
    # Six digits go to the authenticator, anything else to the recovery codes: each kind is
    # throttled on its own.
    kind = TOTPDevice if token.isdigit() else StaticDevice
    with transaction.atomic():
        accepted = None
        for device in devices_for_user(actor, for_verify=True):
            if isinstance(device, kind) and device.verify_token(token):
                accepted = device
                break
        if accepted is None:
            _audit(actor=actor, user=actor, action="twofactor.failed")
        elif isinstance(accepted, StaticDevice):
            left = accepted.token_set.count()
            _audit(actor=actor, user=actor, action="twofactor.recovery_code_used",
                   data={"recovery_codes_left": left})
        else:
            _audit(actor=actor, user=actor, action="twofactor.verified",
                   data={"device": accepted.name})
    return accepted


def renew_recovery_codes(*, actor) -> list[str]:
    with transaction.atomic():
        codes = _new_recovery_codes(actor)
        _audit(actor=actor, user=actor, action="twofactor.recovery_codes_renewed",
               data={"recovery_codes": len(codes)})
    return codes


def reset_two_factor(*, actor, tenant, membership) -> int:
    """Remove every second factor of ``membership``'s account (lost phone), so it enrols
    again at its next sign-in. Done by another admin of the tenant; audited in the tenant.
    Refused for an account that belongs to other tenants too (``account_in_other_tenants``)."""
    if membership.user_id == actor.pk:
        from django.core.exceptions import ValidationError
        from django.utils.translation import gettext as _

        raise ValidationError(_("Another admin must reset your own two-factor login."),
                              code="reset_own_two_factor")
    with transaction.atomic():
        ensure_sign_in_resettable(membership)
        user = membership.user
        removed = sum(
            model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
            for model in (TOTPDevice, StaticDevice)
        )
        _audit(actor=actor, user=user, action="twofactor.reset", tenant_ids=[tenant.pk],
               data={"devices_removed": removed})
    return removed
