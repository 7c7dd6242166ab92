"""Reads of the legal-notice routing: drafts, versions, the PBX export with its ETag, the
proof of a call and the report per routing version."""

from __future__ import annotations

import hashlib
import json

from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse

from .choices import Outcome
from .definition import build_definition, diff_definitions
from .models import ConsentProof, Routing, RoutingAudio, RoutingVersion

SCHEMA_VERSION = 1


def routings_for(*, actor, tenant):
    return (
        Routing.objects.for_actor(actor, tenant)
        .select_related("published_version", "audio_de", "audio_en")
        .order_by("name")
    )


def access_routing(*, actor, tenant, routing_id) -> Routing:
    """The tenant's routing by id, or ``Http404`` (another tenant's, or not a number)."""
    try:
        pk = int(routing_id)
    except (TypeError, ValueError):
        raise Http404("No such routing.") from None
    routing = routings_for(actor=actor, tenant=tenant).filter(pk=pk).first()
    if routing is None:
        raise Http404("No such routing.")
    return routing


def versions_of(routing: Routing):
    return RoutingVersion.unscoped.filter(tenant_id=routing.tenant_id, routing=routing).order_by(
        "-number"
    )


def version_of(routing: Routing, number) -> RoutingVersion:
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise Http404("No such version.") from None
    version = versions_of(routing).filter(number=number).first()
    if version is None:
        raise Http404("No such version.")
    return version


def draft_definition(routing: Routing, values: dict | None = None) -> dict:
    """The definition the draft (or ``values`` edited from it) would publish."""
    from .services import audio_summary, draft_values

    values = values or draft_values(routing)
    return build_definition(
        values, {lang: audio_summary(routing.audio(lang)) for lang in values["languages"]}
    )


def diff(routing: Routing, old_number, new_number) -> list[dict]:
    """Changes from version ``old_number`` to ``new_number`` (``"draft"`` for the draft)."""

    def definition(number):
        if str(number) == "draft":
            return draft_definition(routing)
        return version_of(routing, number).definition

    return diff_definitions(definition(old_number), definition(new_number))


def audio_for_tenant(*, tenant, audio_id) -> RoutingAudio:
    """Announcement audio of the tenant (the PBX fetches it), or ``Http404``."""
    try:
        pk = int(audio_id)
    except (TypeError, ValueError):
        raise Http404("No such audio.") from None
    item = RoutingAudio.unscoped.filter(tenant=tenant, pk=pk).first()
    if item is None:
        raise Http404("No such audio.")
    return item


def export_for(*, tenant) -> dict:
    """What the PBX runs: every published routing of the tenant (see ``schema.py``)."""
    routings = (
        Routing.unscoped.filter(tenant=tenant, published_version__isnull=False)
        .select_related("published_version")
        .order_by("pk")
    )
    items = []
    for routing in routings:
        version = routing.published_version
        definition = json.loads(json.dumps(version.definition))
        for entry in definition["languages"]:
            audio = entry.get("audio")
            if audio:
                audio["url"] = reverse("pbx-routing-audio", kwargs={"audio_id": audio["id"]})
                audio["format"] = "wav_pcm_s16le_8000_mono"
        items.append(
            {
                "routing_id": routing.pk,
                "version_id": version.pk,
                "version": version.number,
                "published_at": version.published_at.isoformat(),
                **definition,
                "report": {
                    "url": "/api/pbx/v1/calls/{call_id}/consent/",
                    "routing_version": version.pk,
                },
            }
        )
    return {"schema_version": SCHEMA_VERSION, "tenant": tenant.slug, "routings": items}


def export_etag(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def proofs_for_call(*, tenant, call):
    return (
        ConsentProof.unscoped.filter(tenant_id=getattr(tenant, "pk", tenant), call=call)
        .select_related("routing_version", "routing_version__routing")
        .order_by("reported_at", "pk")
    )


def version_report(routing: Routing) -> list[dict]:
    """Per version: calls with a proof naming it, objections, consents and the consent rate
    (calls that did not object ÷ calls), newest version first."""
    rows = (
        ConsentProof.unscoped.filter(tenant_id=routing.tenant_id, routing_version__routing=routing)
        .values("routing_version_id")
        .annotate(
            calls=Count("call_id", distinct=True),
            objections=Count("call_id", distinct=True, filter=Q(outcome=Outcome.OBJECTED)),
            consents=Count("call_id", distinct=True, filter=Q(outcome=Outcome.CONSENTED)),
        )
    )
    by_version = {row["routing_version_id"]: row for row in rows}
    report = []
    for version in versions_of(routing):
        row = by_version.get(version.pk, {})
        calls = row.get("calls", 0)
        objections = row.get("objections", 0)
        report.append(
            {
                "version": version.number,
                "version_id": version.pk,
                "mode": version.definition["mode"],
                "published_at": version.published_at,
                "calls": calls,
                "objections": objections,
                "consents": row.get("consents", 0),
                "consent_rate": round((calls - objections) / calls, 4) if calls else None,
            }
        )
    return report
