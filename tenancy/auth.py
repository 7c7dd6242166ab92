"""Portal sign-in with throttling of repeated failures, audited in the account's tenants.

Used by the login page and by ``POST /api/v1/auth/token/`` alike. After
``LOGIN_FAILURE_LIMIT`` failures for one username, or from one client address, within
``LOGIN_FAILURE_WINDOW`` seconds, further attempts are refused without checking the password
until the window has passed.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.cache import cache

import audit

from .models import Membership


class LoginThrottled(Exception):
    def __init__(self, retry_after: int):
        super().__init__("too many failed logins")
        self.retry_after = retry_after


def _keys(username: str, ip: str):
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [f"login-fail:user:{name}", f"login-fail:ip:{ip or '-'}"]


def _tenants_of(username: str):
    User = get_user_model()
    account = User.objects.filter(username=username).first()
    if account is None:
        return None, []
    tenant_ids = list(
        Membership.unscoped.filter(user=account).values_list("tenant_id", flat=True)
    )
    return account, tenant_ids


def _audit_everywhere(*, actor, username, action, ip, data=None):
    """One event in each tenant the account belongs to, or in the provider chain."""
    _, tenant_ids = _tenants_of(username)
    for tenant_id in tenant_ids or [None]:
        audit.record_now(actor=actor, tenant=tenant_id, action=action, ip=ip,
                         actor_label=username[:150], object_type="auth.user",
                         object_id=username[:128], data=data or {})


def is_throttled(username: str, ip: str) -> int:
    """Seconds to wait, or 0."""
    limit = settings.LOGIN_FAILURE_LIMIT
    for key in _keys(username, ip):
        if (cache.get(key) or 0) >= limit:
            return settings.LOGIN_FAILURE_WINDOW
    return 0


def register_failure(username: str, ip: str):
    for key in _keys(username, ip):
        cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW)


def sign_in(*, request, username: str, password: str, ip: str, channel: str = "web"):
    """Authenticate; returns the account or ``None``. Raises ``LoginThrottled``.

    Every outcome is audited: ``auth.login``, ``auth.login_failed``, ``auth.login_throttled``.
    """
    wait = is_throttled(username, ip)
    if wait:
        _audit_everywhere(actor=None, username=username, action="auth.login_throttled", ip=ip,
                          data={"channel": channel})
        raise LoginThrottled(wait)
    account = authenticate(request, username=username, password=password)
    if account is None or not account.is_active:
        register_failure(username, ip)
        _audit_everywhere(actor=None, username=username, action="auth.login_failed", ip=ip,
                          data={"channel": channel})
        return None
    cache.delete(_keys(username, ip)[0])
    _audit_everywhere(actor=account, username=username, action="auth.login", ip=ip,
                      data={"channel": channel})
    return account


def audit_logout(*, account, ip: str):
    _audit_everywhere(actor=account, username=account.get_username(), action="auth.logout",
                      ip=ip)


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or ""
