"""Portal sign-in with growing delays after failures, audited in the tenant signed in to.

Used by the login page, the Django admin's login and ``POST /api/v1/auth/token/`` alike.

Throttling never locks a person out: failures are counted per (username, client address) and
per client address. After ``LOGIN_FAILURE_LIMIT`` failures of one pair, the pair waits
``LOGIN_BACKOFF_BASE`` seconds, doubling with each further failure up to
``LOGIN_BACKOFF_MAX``; an address that fails for many usernames (password spraying) waits the
same way after ``LOGIN_FAILURE_LIMIT * 4`` failures. The right password from another address
is never refused because someone else guessed wrong: the person's own pair has no failures.

Audit: a successful login goes to the tenant the person signs in to (the tenant of the
``next`` URL, or their only tenant), otherwise to the provider chain; failures go to the
tenants of the account named (so each tenant sees attempts on its people), or to the provider
chain for unknown names.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import time

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.cache import cache

import audit

from .models import Membership, PasswordChangeRequired

TENANT_PATH_RE = re.compile(r"^/(?:t|api/v1/tenants)/([a-z0-9-]+)/")


class LoginThrottled(Exception):
    def __init__(self, retry_after: int):
        super().__init__("too many failed logins")
        self.retry_after = max(1, int(retry_after))


def _pair_key(username: str, ip: str) -> str:
    name = hashlib.sha256(f"{username.strip().lower()}\0{ip or '-'}".encode()).hexdigest()[:40]
    return f"login-fail:pair:{name}"


def _ip_key(ip: str) -> str:
    return f"login-fail:ip:{ip or '-'}"


def _limits():
    limit = settings.LOGIN_FAILURE_LIMIT
    return [(limit, "pair"), (limit * 4, "ip")]


def _state(key):
    return cache.get(key) or {"count": 0, "until": 0.0}


def is_throttled(username: str, ip: str) -> int:
    """Seconds to wait before the next attempt of this username from this address, or 0."""
    now = time.time()
    wait = 0.0
    for key in (_pair_key(username, ip), _ip_key(ip)):
        wait = max(wait, _state(key)["until"] - now)
    return int(wait + 0.999) if wait > 0 else 0


def register_failure(username: str, ip: str):
    now = time.time()
    window = settings.LOGIN_FAILURE_WINDOW
    for key, (limit, _kind) in zip((_pair_key(username, ip), _ip_key(ip)), _limits(),
                                   strict=True):
        state = _state(key)
        state["count"] += 1
        over = state["count"] - limit
        if over >= 0:
            delay = min(settings.LOGIN_BACKOFF_BASE * (2 ** over), settings.LOGIN_BACKOFF_MAX)
            state["until"] = now + delay
        cache.set(key, state, max(window, settings.LOGIN_BACKOFF_MAX))


def _account_tenant_ids(username: str):
    User = get_user_model()
    account = User.objects.filter(username=username).first()
    if account is None:
        return []
    return list(Membership.unscoped.filter(user=account).values_list("tenant_id", flat=True))


def tenant_signed_in_to(account, next_url: str = ""):
    """The tenant id a login goes to: the ``next`` URL's tenant if the account is a member,
    else the account's only tenant, else ``None`` (the provider chain)."""
    memberships = list(Membership.unscoped.filter(user=account, tenant__status="active")
                       .select_related("tenant"))
    match = TENANT_PATH_RE.match(next_url or "")
    if match:
        for membership in memberships:
            if membership.tenant.slug == match.group(1):
                return membership.tenant_id
    if len(memberships) == 1:
        return memberships[0].tenant_id
    return None


def _audit(*, actor, username, action, ip, tenant_ids, data=None):
    for tenant_id in tenant_ids or [None]:
        audit.record_now(actor=actor, tenant=tenant_id, action=action, ip=ip,
                         actor_label=username[:150], object_type="auth.user",
                         object_id=username[:128], data=data or {})


def sign_in(*, request, username: str, password: str, ip: str, channel: str = "web",
            next_url: str = ""):
    """Authenticate; returns the account or ``None``. Raises ``LoginThrottled``.

    Every outcome is audited: ``auth.login``, ``auth.login_failed``, ``auth.login_throttled``.
    """
    wait = is_throttled(username, ip)
    if wait:
        _audit(actor=None, username=username, action="auth.login_throttled", ip=ip,
               tenant_ids=_account_tenant_ids(username),
               data={"channel": channel, "retry_after": wait})
        raise LoginThrottled(wait)
    account = authenticate(request, username=username, password=password)
    if account is None or not account.is_active:
        register_failure(username, ip)
        _audit(actor=None, username=username, action="auth.login_failed", ip=ip,
               tenant_ids=_account_tenant_ids(username), data={"channel": channel})
        return None
    cache.delete(_pair_key(username, ip))
    _audit(actor=account, username=username, action="auth.login", ip=ip,
           tenant_ids=[tenant_signed_in_to(account, next_url)], data={"channel": channel})
    return account


MUST_CHANGE_SESSION_KEY = "tenancy_must_change_password"


def must_change_password(account) -> bool:
    return PasswordChangeRequired.objects.filter(user_id=account.pk).exists()


def remember_password_change(sender, request, user, **kwargs):
    """At login, note in the session whether the password is a one-time one (one query per
    login, none per request); the password change page clears it."""
    if request is not None and hasattr(request, "session"):
        if must_change_password(user):
            request.session[MUST_CHANGE_SESSION_KEY] = True
        else:
            request.session.pop(MUST_CHANGE_SESSION_KEY, None)


def audit_logout(*, account, ip: str):
    _audit(actor=account, username=account.get_username(), action="auth.logout", ip=ip,
           tenant_ids=list(Membership.unscoped.filter(user=account)
                           .values_list("tenant_id", flat=True)))


def client_ip(request) -> str:
    """The client's address. Behind the documented TLS proxy (``TRUSTED_PROXIES``), the last
    address in ``TRUSTED_PROXY_HEADER`` that is not a trusted proxy; otherwise REMOTE_ADDR.
    A header from anyone else is ignored (it could be forged)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    trusted = settings.TRUSTED_PROXIES
    if not trusted or not _in_networks(remote, trusted):
        return remote
    header = request.META.get(settings.TRUSTED_PROXY_HEADER, "")
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _valid_ip(hop):
            break
        if not _in_networks(hop, trusted):
            return hop
    return remote


def _valid_ip(value):
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _in_networks(address, networks):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)
