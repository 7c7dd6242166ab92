"""Calls with the caller's consent, ingests (received audio on its way) and recordings.

A *call* is one conversation of an agent's extension, known by the PBX's ``call_id``; it
carries the caller's consent. An *ingest* is one received file (pushed, uploaded, found in the
S3 inbox or the spool folder) and its progress through the pipeline; the database row, not the
broker, says what is still to do. A *recording* is the archived result: metadata, checksum and
waveform, and the audio under a tenant-scoped key, or a tombstone when the audio was discarded.
"""

import uuid
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from hostedpbx.scoping import TenantOwnedModel, TenantQuerySet, scoped_managers
from tenancy import permissions

from .choices import (
    AudioState,
    Consent,
    ConsentSource,
    Direction,
    DiscardReason,
    IngestReason,
    IngestSource,
    IngestStatus,
    Kind,
    StagedIn,
)

NOTHING = Q(pk__in=[])


def own_extension(membership):
    """The extension a membership speaks for, or ``None``."""
    return membership.pbx_user.extension if membership.pbx_user_id else None


class ExtensionScopedQuerySet(TenantQuerySet):
    """Admins, compliance officers and supervisors see the tenant's rows; a member (agent) only
    those of their own extension (none without one)."""

    def visible_q(self, membership):
        if not permissions.sees_own_extension_only(membership):
            return Q(tenant_id=membership.tenant_id)
        extension = own_extension(membership)
        if not extension:
            return NOTHING
        return Q(tenant_id=membership.tenant_id, extension=extension)


class Call(TenantOwnedModel):
    """One call of the PBX, unique per tenant by ``call_id``, with the caller's consent."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, related_name="+")
    call_id = models.CharField(_("call ID"), max_length=128)
    extension = models.CharField(_("extension"), max_length=15, blank=True)
    pbx_user = models.ForeignKey("tenancy.PbxUser", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("PBX user"))
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices,
                                 blank=True)
    local_number = models.CharField(_("local number"), max_length=64, blank=True)
    local_number_raw = models.CharField(_("local number as received"), max_length=64,
                                        blank=True)
    remote_number = models.CharField(_("remote number"), max_length=64, blank=True)
    remote_number_raw = models.CharField(_("remote number as received"), max_length=64,
                                         blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    consent = models.CharField(_("consent"), max_length=16, choices=Consent.choices,
                               default=Consent.UNKNOWN)
    consent_source = models.CharField(_("consent set by (kind)"), max_length=16,
                                      choices=ConsentSource.choices, blank=True)
    consent_set_by = models.CharField(_("consent set by"), max_length=200, blank=True)
    consent_set_at = models.DateTimeField(_("consent set at"), null=True, blank=True)
    consent_note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    unscoped, objects = scoped_managers(ExtensionScopedQuerySet)

    class Meta:
        ordering = ["tenant", "-started_at"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "call_id"],
                                    name="%(app_label)s_%(class)s_unique_call_id"),
            models.CheckConstraint(condition=Q(consent__in=Consent.values),
                                   name="%(app_label)s_%(class)s_consent_valid"),
            models.CheckConstraint(condition=Q(direction__in=[*Direction.values, ""]),
                                   name="%(app_label)s_%(class)s_direction_valid"),
        ]

    def __str__(self):
        return f"{self.call_id} ({self.extension or '?'})"

    @property
    def objected(self):
        return self.consent == Consent.OBJECTED


class IngestQuerySet(TenantQuerySet):
    """Admins and compliance officers see every ingest of the tenant; others only what they
    uploaded themselves in the customer menu."""

    def visible_q(self, membership):
        if permissions.may_manage_ingests(membership):
            return Q(tenant_id=membership.tenant_id)
        return Q(tenant_id=membership.tenant_id, uploaded_by_id=membership.user_id)


class Ingest(TenantOwnedModel):
    """One received file on its way to becoming a recording.

    The row is written before anything is acknowledged and is the source of truth for what
    remains to do: ``queued`` rows are (re-)enqueued, ``processing`` rows whose lease expired
    are taken over (see ``recordings.pipeline``). ``source_ref`` identifies a pulled object
    (inbox key or spool file); its uniqueness per tenant and source is what makes a claim
    exactly-once.
    """

    ingest_id = models.UUIDField(_("ingest ID"), default=uuid.uuid4, unique=True,
                                 editable=False)
    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, related_name="+")
    node = models.ForeignKey("tenancy.PbxNode", on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+", verbose_name=_("PBX node"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("uploaded by"))
    source = models.CharField(_("source"), max_length=16, choices=IngestSource.choices)
    source_ref = models.CharField(_("source reference"), max_length=1024, blank=True)
    source_path = models.CharField(_("source path"), max_length=1024, blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    staged_in = models.CharField(_("staged in"), max_length=8, choices=StagedIn.choices,
                                 blank=True)
    staged_path = models.CharField(_("staged at"), max_length=1024, blank=True)
    call_id = models.CharField(_("call ID"), max_length=128, blank=True)
    extension = models.CharField(_("extension"), max_length=15, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.BigIntegerField(_("size"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=IngestStatus.choices,
                              default=IngestStatus.QUEUED)
    reason = models.CharField(_("reason"), max_length=32, choices=IngestReason.choices,
                              blank=True)
    reason_detail = models.TextField(_("details"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    recording = models.ForeignKey("recordings.Recording", on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="ingests",
                                  verbose_name=_("recording"))
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    unscoped, objects = scoped_managers(IngestQuerySet)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ingest")
        verbose_name_plural = _("ingests")
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        constraints = [
            # The same call and audio pushed again is the same ingest (idempotency key).
            models.UniqueConstraint(
                fields=["tenant", "call_id", "sha256"],
                condition=Q(source__in=[IngestSource.PUSH, IngestSource.UPLOAD]),
                name="%(app_label)s_%(class)s_unique_pushed_audio",
            ),
            # A pulled object (inbox key, spool file) is claimed once.
            models.UniqueConstraint(
                fields=["tenant", "source", "source_ref"], condition=~Q(source_ref=""),
                name="%(app_label)s_%(class)s_unique_source_ref",
            ),
            models.CheckConstraint(condition=Q(status__in=IngestStatus.values),
                                   name="%(app_label)s_%(class)s_status_valid"),
            models.CheckConstraint(condition=Q(source__in=IngestSource.values),
                                   name="%(app_label)s_%(class)s_source_valid"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="recordings_ingest_list"),
            models.Index(fields=["tenant", "status", "reason"], name="recordings_ingest_status"),
            models.Index(fields=["tenant", "call_id"], name="recordings_ingest_call"),
            models.Index(fields=["status", "enqueued_at"], name="recordings_ingest_pending",
                         condition=Q(status__in=[IngestStatus.QUEUED, IngestStatus.PROCESSING])),
            # Ingests still holding received bytes (in flight, rejected, quarantined, or left
            # behind by a crash): what the sweeper and the purge look at.
            models.Index(fields=["status"], name="recordings_ingest_staged",
                         condition=~Q(staged_in=StagedIn.NONE)),
        ]

    def __str__(self):
        return f"{self.ingest_id} ({self.status})"

    @property
    def is_retryable(self):
        from .choices import NOT_RETRYABLE_REASONS, RETRYABLE_STATUSES

        return self.status in RETRYABLE_STATUSES and self.reason not in NOT_RETRYABLE_REASONS


# Hook for the supervision part: each source is ``callable(membership) -> iterable of
# extensions`` the membership supervises (one query at most, called once per scoped read).
SUPERVISED_EXTENSION_SOURCES: list[Callable[[object], Iterable[str]]] = []


def supervised_extensions(membership) -> set[str]:
    """Extensions a supervisor's membership may listen to (beyond its own)."""
    extensions: set[str] = set()
    for source in SUPERVISED_EXTENSION_SOURCES:
        extensions.update(str(e) for e in source(membership) if e)
    return extensions


def sees_whole_tenant(membership) -> bool:
    """Admins and compliance officers see every recording of their tenant."""
    return permissions.sees_whole_tenant(membership)


class RecordingQuerySet(TenantQuerySet):
    """Who sees which recordings (docs/archive.md):

    - admins and compliance officers: the whole tenant;
    - supervisors: their own extension, the extensions of ``SUPERVISED_EXTENSION_SOURCES``, and
      the whole tenant when the tenant's ``RecordingSettings.supervisors_see_all`` is on
      (an ``EXISTS`` in the same query, so no extra round trip);
    - members (agents): their own extension; nothing without one.
    """

    def visible_q(self, membership):
        tenant_q = Q(tenant_id=membership.tenant_id)
        if sees_whole_tenant(membership):
            return tenant_q
        extensions = set()
        if own_extension(membership):
            extensions.add(own_extension(membership))
        if permissions.supervises_agents(membership):
            extensions |= supervised_extensions(membership)
            whole = Exists(RecordingSettings.unscoped.filter(
                tenant_id=OuterRef("tenant_id"), supervisors_see_all=True))
            return tenant_q & (Q(extension__in=sorted(extensions)) | Q(whole))
        if not extensions:
            return NOTHING
        return tenant_q & Q(extension__in=sorted(extensions))


class Recording(TenantOwnedModel):
    """An archived recording, or its tombstone when the audio was discarded.

    ``sha256`` and ``size`` describe the bytes as received; ``storage_key`` names them in the
    recordings store (empty when the audio was never stored). A tombstone keeps the call, the
    time, the reason, the checksum and who objected.
    """

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, related_name="+")
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="recordings",
                             verbose_name=_("call"))
    # The PBX's call ID, copied from the call so that lists need no join (``call_id`` is the
    # foreign key's column).
    pbx_call_id = models.CharField(_("call ID"), max_length=128)
    ingest = models.OneToOneField(Ingest, on_delete=models.PROTECT,
                                  related_name="created_recording", verbose_name=_("ingest"))
    extension = models.CharField(_("extension"), max_length=15)
    pbx_user = models.ForeignKey("tenancy.PbxUser", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("PBX user"))
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices)
    remote_number = models.CharField(_("remote number"), max_length=64, blank=True)
    remote_number_raw = models.CharField(_("remote number as received"), max_length=64,
                                         blank=True)
    started_at = models.DateTimeField(_("started at"))
    duration = models.FloatField(_("duration (seconds)"), default=0)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    consent = models.CharField(_("consent"), max_length=16, choices=Consent.choices,
                               default=Consent.UNKNOWN)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.BigIntegerField(_("size"))
    storage_key = models.CharField(_("storage key"), max_length=512, blank=True)
    container = models.CharField(_("container"), max_length=32, blank=True)
    codec = models.CharField(_("codec"), max_length=32, blank=True)
    sample_rate = models.PositiveIntegerField(_("sample rate"), null=True, blank=True)
    channels = models.PositiveSmallIntegerField(_("channels"), null=True, blank=True)
    mime_type = models.CharField(_("MIME type"), max_length=64, blank=True)
    file_extension = models.CharField(_("file extension"), max_length=8, blank=True)
    peaks = models.JSONField(_("waveform peaks"), default=list, blank=True)
    truncated = models.BooleanField(_("truncated"), default=False)
    truncation_detail = models.CharField(_("truncation"), max_length=500, blank=True)
    policy_violation = models.BooleanField(_("policy violation"), default=False)
    policy_violation_reason = models.CharField(_("policy violation reason"), max_length=64,
                                               blank=True)
    legal_hold = models.BooleanField(_("legal hold"), default=False)
    audio_state = models.CharField(_("audio"), max_length=16, choices=AudioState.choices,
                                   default=AudioState.STORED)
    discarded_at = models.DateTimeField(_("discarded at"), null=True, blank=True)
    discard_reason = models.CharField(_("reason for discarding"), max_length=32,
                                      choices=DiscardReason.choices, blank=True)
    discarded_by = models.CharField(_("objection by"), max_length=200, blank=True)
    discard_pending = models.BooleanField(
        _("discard pending"), default=False,
        help_text=_("The caller objected, but a legal hold keeps the audio until it is lifted."),
    )
    storage_deleted_at = models.DateTimeField(_("audio deleted from storage at"), null=True,
                                              blank=True)
    created_at = models.DateTimeField(_("archived at"), auto_now_add=True)

    unscoped, objects = scoped_managers(RecordingQuerySet)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "call", "sha256"],
                                    name="%(app_label)s_%(class)s_unique_call_audio"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values),
                                   name="%(app_label)s_%(class)s_kind_valid"),
            models.CheckConstraint(condition=Q(direction__in=Direction.values),
                                   name="%(app_label)s_%(class)s_direction_valid"),
            models.CheckConstraint(condition=Q(consent__in=Consent.values),
                                   name="%(app_label)s_%(class)s_consent_valid"),
            models.CheckConstraint(
                condition=Q(audio_state=AudioState.STORED)
                | Q(audio_state=AudioState.DISCARDED, discarded_at__isnull=False),
                name="%(app_label)s_%(class)s_tombstone_dated",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-started_at", "-id"],
                         name="recordings_tenant_started"),
            models.Index(fields=["tenant", "remote_number", "-started_at", "-id"],
                         name="recordings_tenant_number"),
            models.Index(fields=["tenant", "extension", "-started_at", "-id"],
                         name="recordings_tenant_ext"),
            models.Index(fields=["audio_state"], name="recordings_pending_delete",
                         condition=Q(audio_state=AudioState.DISCARDED,
                                     storage_deleted_at__isnull=True) & ~Q(storage_key="")),
        ]

    def __str__(self):
        return f"{self.pbx_call_id} {self.extension} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def has_audio(self):
        return self.audio_state == AudioState.STORED


class PendingObjectDeletion(TenantOwnedModel):
    """An object in the recordings store that no recording keeps and that must go: audio an
    ingest uploaded before it ended without keeping it (a duplicate of a stored recording, a
    rejection or quarantine after the upload). Written in the transaction that decides the
    ingest's end; the object (every version) is deleted after the commit, and
    ``maintenance.sweep()`` retries until that succeeds, then removes the row. A later attempt
    of the same ingest that uploads to ``key`` again cancels the row first (under the row
    lock that the deleter holds while deleting).

    Internal bookkeeping (not shown in the menu), hence no translated labels.
    """

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=1024)
    reason = models.CharField(max_length=32, blank=True)
    ingest = models.ForeignKey(Ingest, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        indexes = [models.Index(fields=["key"], name="recordings_pending_del_key")]

    def __str__(self):
        return f"delete {self.key}"


class RecordingSettings(TenantOwnedModel):
    """The archive's options of one tenant (created on demand, see ``settings_for``)."""

    tenant = models.OneToOneField("tenancy.Tenant", on_delete=models.CASCADE, related_name="+")
    supervisors_see_all = models.BooleanField(
        _("supervisors see all recordings of the tenant"), default=False,
        help_text=_("Until supervision grants are configured, supervisors see only their own "
                    "recordings unless this is on."))
    access_reason_required = models.BooleanField(
        _("a reason is required to play or download"), default=False,
        help_text=_("Before playing or downloading, a reason or case reference must be given; "
                    "it is kept in the audit trail."))
    phone_region = models.CharField(
        _("country for national numbers"), max_length=2, default="DE",
        help_text=_("Numbers typed without a country code (030 1234567) are read as numbers of "
                    "this country (ISO 3166 code, e.g. DE, AT, CH)."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("recording settings")
        verbose_name_plural = _("recording settings")
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"

    def __str__(self):
        return f"recording settings of tenant {self.tenant_id}"


# --- the archive: retention, legal hold, exports, data-subject requests (recordings.archive) ---
class ArchivePolicy(TenantOwnedModel):
    """The tenant's archive settings: retention (a default in days, overrides per kind), who
    may record a caller's objection after the call, and the limits of exports. One row per
    tenant, created on demand (``recordings.archive.policy.policy_for``)."""

    tenant = models.OneToOneField("tenancy.Tenant", on_delete=models.CASCADE,
                                  related_name="+")
    retention_days = models.PositiveIntegerField(
        _("keep recordings (days)"), null=True, blank=True,
        help_text=_("Empty: keep until deleted by hand."))
    retention_auto_days = models.PositiveIntegerField(
        _("automatic recordings (days)"), null=True, blank=True,
        help_text=_("Empty: the default applies."))
    retention_on_demand_days = models.PositiveIntegerField(
        _("on-demand recordings (days)"), null=True, blank=True,
        help_text=_("Empty: the default applies."))
    retention_client_days = models.PositiveIntegerField(
        _("softphone recordings (days)"), null=True, blank=True,
        help_text=_("Empty: the default applies."))
    agents_may_object = models.BooleanField(
        _("agents may record an objection on their own calls"), default=False)
    export_expiry_days = models.PositiveIntegerField(_("exports are kept (days)"), default=7)
    export_max_bytes = models.BigIntegerField(_("largest export (bytes)"),
                                              default=2 * 1024**3)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("archive settings")
        verbose_name_plural = _("archive settings")
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"

    def __str__(self):
        return f"archive policy of tenant {self.tenant_id}"


class LegalHold(TenantOwnedModel):
    """One legal hold on one recording, with its case reference; lifting keeps the row (the
    history of holds). ``Recording.legal_hold`` is the fast flag the lists and the purge use."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, related_name="+")
    recording = models.ForeignKey(Recording, on_delete=models.CASCADE,
                                  related_name="legal_holds", verbose_name=_("recording"))
    case_reference = models.CharField(_("case reference"), max_length=200)
    note = models.CharField(_("note"), max_length=500, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+", verbose_name=_("set by"))
    set_at = models.DateTimeField(_("set at"), auto_now_add=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+",
                                  verbose_name=_("lifted by"))
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lift_reason = models.CharField(_("reason for lifting"), max_length=500, blank=True)

    class Meta:
        ordering = ["-set_at", "-id"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        constraints = [
            models.UniqueConstraint(fields=["recording"], condition=Q(lifted_at__isnull=True),
                                    name="%(app_label)s_%(class)s_one_active"),
        ]

    def __str__(self):
        return f"{self.case_reference} ({self.recording_id})"


class ArchiveQuerySet(TenantQuerySet):
    """Exports and data-subject requests: admins and compliance officers see the tenant's;
    everyone else only their own."""

    def visible_q(self, membership):
        if permissions.sees_whole_tenant(membership):
            return Q(tenant_id=membership.tenant_id)
        return Q(tenant_id=membership.tenant_id, created_by_id=membership.user_id)


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("waiting")
    RUNNING = "running", _("being built")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")
    EXPIRED = "expired", _("expired")


class SubjectRequest(TenantOwnedModel):
    """A data-subject request (GDPR Art. 15 access, Art. 17 erasure) for a phone number."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("access (Art. 15)")
        ERASURE = "erasure", _("erasure (Art. 17)")

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("phone number as entered"), max_length=64)
    number_e164 = models.CharField(_("phone number"), max_length=64)
    kind = models.CharField(_("request"), max_length=16, choices=Kind.choices)
    reason = models.CharField(_("reason / reference"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    found = models.JSONField(_("found"), default=dict, blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    erasure_report = models.JSONField(_("erasure report"), default=dict, blank=True)

    unscoped, objects = scoped_managers(ArchiveQuerySet)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["access", "erasure"]),
                                   name="%(app_label)s_%(class)s_kind_valid"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number_e164}"


class Export(TenantOwnedModel):
    """A ZIP of recordings with a manifest, built by a worker and kept until ``expires_at``.

    The selection is frozen at creation (``recording_ids``); ``filters`` records how it was
    chosen. ``done``/``total`` is the progress.
    """

    export_id = models.UUIDField(_("export ID"), default=uuid.uuid4, unique=True,
                                 editable=False)
    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    subject_request = models.ForeignKey(SubjectRequest, on_delete=models.SET_NULL, null=True,
                                        blank=True, related_name="exports",
                                        verbose_name=_("data-subject request"))
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    recording_ids = models.JSONField(_("recordings"), default=list, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ExportStatus.choices,
                              default=ExportStatus.QUEUED)
    total = models.PositiveIntegerField(_("files"), default=0)
    done = models.PositiveIntegerField(_("files done"), default=0)
    estimated_bytes = models.BigIntegerField(_("estimated size"), default=0)
    size = models.BigIntegerField(_("size"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256 of the ZIP"), max_length=64, blank=True)
    storage_key = models.CharField(_("storage key"), max_length=512, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    unscoped, objects = scoped_managers(ArchiveQuerySet)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ExportStatus.values),
                                   name="%(app_label)s_%(class)s_status_valid"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="recordings_export_list"),
            models.Index(fields=["status", "expires_at"], name="recordings_export_expiry"),
        ]

    def __str__(self):
        return f"export {self.export_id} ({self.status})"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (
            100 if self.status == ExportStatus.READY else 0)
