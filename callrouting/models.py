"""Legal-notice routings: editable drafts, immutable published versions, announcement audio,
and the proof of what each caller heard and pressed.

A :class:`Routing` is the draft an admin edits. Publishing snapshots it into a numbered
:class:`RoutingVersion` (the PBX export's definition, never changed afterwards) and points
``Routing.published_version`` at it; rolling back publishes an older version's definition again
as a new number. :class:`ConsentProof` keeps each consent report of the PBX that named a
routing version, its language and key.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hostedpbx.scoping import TenantOwnedModel

from .choices import (
    REPEATS_MAX,
    REPEATS_MIN,
    TIMEOUT_MAX,
    TIMEOUT_MIN,
    AudioSource,
    Language,
    Mode,
    Outcome,
    VersionKind,
)


def default_languages():
    return ["de", "en"]


class Routing(TenantOwnedModel):
    """The editable draft of one legal-notice routing of a tenant."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    covers_all = models.BooleanField(_("covers all numbers"), default=True)
    numbers = models.JSONField(_("numbers and extensions"), default=list, blank=True)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.OPT_OUT)
    objection_key = models.CharField(_("objection key"), max_length=1, blank=True, default="9")
    consent_key = models.CharField(_("consent key"), max_length=1, blank=True, default="1")
    timeout_seconds = models.PositiveSmallIntegerField(_("timeout (seconds)"), default=5)
    repeats = models.PositiveSmallIntegerField(_("repeats"), default=1)
    languages = models.JSONField(_("languages"), default=default_languages)
    text_de = models.TextField(_("announcement (German)"), blank=True)
    text_en = models.TextField(_("announcement (English)"), blank=True)
    objection_route_to = models.CharField(
        _("after an objection, route to"), max_length=64, blank=True
    )
    audio_de = models.ForeignKey(
        "callrouting.RoutingAudio",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    audio_en = models.ForeignKey(
        "callrouting.RoutingAudio",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    published_version = models.ForeignKey(
        "callrouting.RoutingVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published version"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant", "name"]
        verbose_name = _("legal-notice routing")
        verbose_name_plural = _("legal-notice routings")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"], name="%(app_label)s_%(class)s_unique_name"
            ),
            models.CheckConstraint(
                condition=Q(mode__in=Mode.values), name="%(app_label)s_%(class)s_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(timeout_seconds__gte=TIMEOUT_MIN, timeout_seconds__lte=TIMEOUT_MAX),
                name="%(app_label)s_%(class)s_timeout_range",
            ),
            models.CheckConstraint(
                condition=Q(repeats__gte=REPEATS_MIN, repeats__lte=REPEATS_MAX),
                name="%(app_label)s_%(class)s_repeats_range",
            ),
        ]

    def __str__(self):
        return self.name

    def text(self, language):
        return getattr(self, f"text_{language}")

    def audio(self, language):
        return getattr(self, f"audio_{language}")


class RoutingAudio(TenantOwnedModel):
    """One announcement recording (telephony WAV, 8 kHz mono 16-bit) in the recordings store.

    Never changed or deleted while a version names it: a new text or upload makes a new row.
    """

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, related_name="+")
    routing = models.ForeignKey(Routing, on_delete=models.PROTECT, related_name="audio_files")
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    source = models.CharField(_("source"), max_length=16, choices=AudioSource.choices)
    storage_key = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    duration = models.FloatField(_("duration (seconds)"))
    text_sha256 = models.CharField(max_length=64, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["routing", "language", "-created_at"]
        verbose_name = _("announcement audio")
        verbose_name_plural = _("announcement audio")

    def __str__(self):
        return f"{self.routing_id}/{self.language}/{self.sha256[:12]}"


class RoutingVersion(TenantOwnedModel):
    """An immutable, numbered published definition of a routing (what the PBX runs)."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, related_name="+")
    routing = models.ForeignKey(Routing, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    kind = models.CharField(
        _("kind"), max_length=16, choices=VersionKind.choices, default=VersionKind.PUBLISHED
    )
    rolled_back_to = models.PositiveIntegerField(_("rolled back to version"), null=True, blank=True)
    definition = models.JSONField()
    published_at = models.DateTimeField(_("published at"))
    published_by = models.CharField(_("published by"), max_length=200, blank=True)

    class Meta:
        ordering = ["routing", "-number"]
        verbose_name = _("routing version")
        verbose_name_plural = _("routing versions")
        constraints = [
            models.UniqueConstraint(
                fields=["routing", "number"], name="%(app_label)s_%(class)s_unique_number"
            ),
        ]

    def __str__(self):
        return f"{self.routing_id} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("A published routing version is immutable.")
        super().save(*args, **kwargs)


class ConsentProof(TenantOwnedModel):
    """What the PBX reported about one caller: the routing version played, its language, the
    key pressed and the outcome. One row per report (a call's history)."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, related_name="+")
    call = models.ForeignKey("recordings.Call", on_delete=models.PROTECT, related_name="+")
    routing_version = models.ForeignKey(
        RoutingVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proofs",
        verbose_name=_("routing version"),
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, blank=True)
    key = models.CharField(_("key pressed"), max_length=1, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    reported_at = models.DateTimeField(_("reported at"))
    reported_by = models.CharField(_("reported by"), max_length=200, blank=True)

    class Meta:
        ordering = ["call", "reported_at", "pk"]
        verbose_name = _("consent proof")
        verbose_name_plural = _("consent proofs")
        indexes = [
            models.Index(fields=["tenant", "routing_version"], name="callrouting_proof_version")
        ]

    def __str__(self):
        return f"{self.call_id}: {self.outcome}"
