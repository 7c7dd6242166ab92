"""Grants (who may monitor whom), monitoring sessions with their participants and history, and
the tenant's supervision settings."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hostedpbx.scoping import TenantOwnedModel, TenantQuerySet, scoped_managers
from tenancy import permissions

from .choices import EndReason, EventKind, LeaveReason, Mode, SessionStatus


class GrantQuerySet(TenantQuerySet):
    def visible_q(self, membership):
        # Admins and compliance officers see every grant; a supervisor the grants naming them;
        # an agent who may monitor them.
        if permissions.may_see_all_sessions(membership):
            return Q(tenant_id=membership.tenant_id)
        if membership.pbx_user_id is None:
            return Q(pk__in=[])
        if permissions.supervises_agents(membership):
            return Q(tenant_id=membership.tenant_id, supervisor_id=membership.pbx_user_id)
        return Q(tenant_id=membership.tenant_id, agent_id=membership.pbx_user_id)

    def valid_at(self, at):
        """Open grants whose validity window contains ``at`` (bounds inclusive)."""
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=at),
            Q(valid_until__isnull=True) | Q(valid_until__gte=at),
            revoked_at__isnull=True,
        )


class SupervisionGrant(TenantOwnedModel):
    """``supervisor`` may monitor ``agent`` (both PBX users of one tenant) within an optional
    window, for a purpose. Revoked grants stay as history (at most one open grant per pair)."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(
        "tenancy.PbxUser", on_delete=models.PROTECT, related_name="+", verbose_name=_("agent")
    )
    supervisor = models.ForeignKey(
        "tenancy.PbxUser", on_delete=models.PROTECT, related_name="+", verbose_name=_("supervisor")
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    purpose = models.CharField(_("purpose"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("granted at"), default=timezone.now)
    created_by = models.CharField(_("granted by"), max_length=200, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.CharField(_("revoked by"), max_length=200, blank=True)
    revoke_reason = models.CharField(_("reason for revocation"), max_length=500, blank=True)

    unscoped, objects = scoped_managers(GrantQuerySet)

    class Meta:
        ordering = ["tenant", "agent", "supervisor", "-created_at"]
        verbose_name = _("supervision grant")
        verbose_name_plural = _("supervision grants")
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "supervisor"],
                condition=Q(revoked_at__isnull=True),
                name="%(app_label)s_%(class)s_one_open_per_pair",
            ),
            models.CheckConstraint(
                condition=~Q(agent=models.F("supervisor")), name="%(app_label)s_%(class)s_not_self"
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="%(app_label)s_%(class)s_window_ordered",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "supervisor", "revoked_at"], name="supervision_grant_sup"
            )
        ]

    def __str__(self):
        return f"{self.supervisor_id} → {self.agent_id}"

    @property
    def is_active(self):
        return self.revoked_at is None

    def valid_at(self, at) -> bool:
        return (
            self.revoked_at is None
            and (self.valid_from is None or self.valid_from <= at)
            and (self.valid_until is None or self.valid_until >= at)
        )


class SessionQuerySet(TenantQuerySet):
    def visible_q(self, membership):
        # Admins and compliance officers see every session; a supervisor the sessions they took
        # part in; an agent the sessions on their calls only when the tenant allows it (the
        # views check the option; here the rows are the agent's own).
        if permissions.may_see_all_sessions(membership):
            return Q(tenant_id=membership.tenant_id)
        if membership.pbx_user_id is None:
            return Q(pk__in=[])
        if permissions.supervises_agents(membership):
            return Q(
                tenant_id=membership.tenant_id,
                pk__in=SessionParticipant.unscoped.filter(
                    tenant_id=membership.tenant_id, supervisor_id=membership.pbx_user_id
                ).values("session_id"),
            )
        return Q(tenant_id=membership.tenant_id, agent_id=membership.pbx_user_id)


class MonitoringSession(TenantOwnedModel):
    """Supervisors on one agent's call: a state machine (live → ended) with one mode for all.

    Transitions lock this row (``SELECT ... FOR UPDATE``); ``last_seq`` numbers the history."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(
        "tenancy.PbxUser", on_delete=models.PROTECT, related_name="+", verbose_name=_("agent")
    )
    agent_extension = models.CharField(_("agent"), max_length=15)
    call_id = models.CharField(_("call ID"), max_length=128, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=SessionStatus.choices, default=SessionStatus.LIVE
    )
    mode = models.PositiveSmallIntegerField(_("mode"), choices=Mode.choices, default=Mode.LISTEN)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    mode_since = models.DateTimeField(_("mode since"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(
        _("end reason"), max_length=16, choices=EndReason.choices, blank=True
    )
    last_seq = models.PositiveIntegerField(default=0)

    unscoped, objects = scoped_managers(SessionQuerySet)

    class Meta:
        ordering = ["tenant", "-started_at"]
        verbose_name = _("monitoring session")
        verbose_name_plural = _("monitoring sessions")
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "agent", "call_id"],
                condition=Q(status="live"),
                name="%(app_label)s_%(class)s_one_live_per_call",
            ),
            models.CheckConstraint(
                condition=Q(mode__in=Mode.values), name="%(app_label)s_%(class)s_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SessionStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "status", "-started_at"], name="supervision_session_live"
            )
        ]

    def __str__(self):
        return f"session {self.pk} ({self.agent_extension})"

    @property
    def is_live(self):
        return self.status == SessionStatus.LIVE


class SessionParticipant(TenantOwnedModel):
    """One stay of a supervisor in a session (a supervisor who rejoins gets a new row)."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        MonitoringSession, on_delete=models.PROTECT, related_name="participants"
    )
    supervisor = models.ForeignKey(
        "tenancy.PbxUser", on_delete=models.PROTECT, related_name="+", verbose_name=_("supervisor")
    )
    supervisor_extension = models.CharField(_("supervisor"), max_length=15)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    leave_reason = models.CharField(
        _("why left"), max_length=16, choices=LeaveReason.choices, blank=True
    )

    class Meta:
        ordering = ["session", "joined_at", "pk"]
        verbose_name = _("session participant")
        verbose_name_plural = _("session participants")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "supervisor"],
                condition=Q(left_at__isnull=True),
                name="%(app_label)s_%(class)s_once_at_a_time",
            ),
        ]

    def __str__(self):
        return f"{self.supervisor_extension} in {self.session_id}"


class SessionEvent(TenantOwnedModel):
    """The history of a session, numbered gaplessly per session (``seq`` from 1)."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(MonitoringSession, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(_("event"), max_length=16, choices=EventKind.choices)
    supervisor_extension = models.CharField(_("supervisor"), max_length=15, blank=True)
    key = models.CharField(_("key"), max_length=8, blank=True)
    mode_before = models.PositiveSmallIntegerField(null=True, blank=True)
    mode_after = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=32, blank=True)

    class Meta:
        ordering = ["session", "seq"]
        verbose_name = _("session event")
        verbose_name_plural = _("session events")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "seq"], name="%(app_label)s_%(class)s_unique_seq"
            ),
        ]

    def __str__(self):
        return f"{self.session_id}#{self.seq} {self.kind}"

    @property
    def reason_label(self):
        """The reason in words: why a supervisor left, or why the session ended."""
        labels = dict(EndReason.choices if self.kind == EventKind.ENDED else LeaveReason.choices)
        return labels.get(self.reason, self.reason)


class SupervisionSettings(TenantOwnedModel):
    """The tenant's supervision options (one row per tenant, created on demand)."""

    tenant = models.OneToOneField("tenancy.Tenant", on_delete=models.PROTECT, related_name="+")
    agent_tone = models.BooleanField(
        _("tone to the agent"),
        default=False,
        help_text=_(
            "The PBX plays a short tone to the agent when supervisors start talking "
            "to them (mode 2 or 3)."
        ),
    )
    agents_see_summary = models.BooleanField(
        _("agents see past monitoring"),
        default=False,
        help_text=_("Agents see a summary of past monitoring of their own calls."),
    )
    max_supervisors = models.PositiveSmallIntegerField(
        _("supervisors per call at most"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("supervision settings")
        verbose_name_plural = _("supervision settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_supervisors__gte=1, max_supervisors__lte=10),
                name="%(app_label)s_%(class)s_max_range",
            ),
        ]

    def __str__(self):
        return f"supervision settings of {self.tenant_id}"
