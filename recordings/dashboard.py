"""Tiles of the recordings part on the overview page (the menu's start page).

Everyone: recordings per day (an SVG chart drawn here, each bar a link to that day's list),
recordings of the last 7 days and objections of the last 30 days. Admins and compliance
officers: storage used, ingest health, legal holds. Agents and supervisors: their own recent
calls. Every tile links to the list filtered the way it counts (the list's URL parameters).
"""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hostedpbx.dashboard import Tile
from tenancy import permissions

from .choices import AudioState, Consent, IngestStatus
from .models import Ingest, Recording, own_extension

CHART_DAYS = 14


def list_url(slug, **params) -> str:
    url = reverse("recordings:list", kwargs={"tenant_slug": slug})
    return f"{url}?{urlencode(params)}" if params else url


def size_text(n: int) -> str:
    if n >= 1024**3:
        return _("%(n)s GB") % {"n": number_format(round(n / 1024**3, 1))}
    return _("%(n)s MB") % {"n": number_format(round(n / 1024**2, 1))}


def per_day(queryset, *, tz, first_day, days) -> list[tuple]:
    """``[(date, count)]`` for ``days`` days from ``first_day`` (zero where none), by the
    tenant's local date, in one query."""
    counts = {
        row["day"]: row["n"]
        for row in queryset.order_by()
        .annotate(day=TruncDate("started_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"))
    }
    return [
        (first_day + timedelta(days=i), counts.get(first_day + timedelta(days=i), 0))
        for i in range(days)
    ]


def chart_bars(series, *, slug, width=280, height=90, label_every=7) -> dict:
    """Geometry of the bar chart (pure: drawn by ``_chart_tile.html`` as SVG)."""
    top = max((n for _day, n in series), default=0) or 1
    step = width / max(len(series), 1)
    bars = []
    for index, (day, n) in enumerate(series):
        bar_height = round((height - 14) * n / top, 1)
        bars.append(
            {
                "x": round(index * step + 1, 1),
                "width": round(step - 2, 1),
                "y": round(height - 12 - bar_height, 1),
                "height": bar_height,
                "count": n,
                "label": formats.date_format(day, "SHORT_DATE_FORMAT"),
                "show_label": index % label_every == 0,
                "url": list_url(
                    slug,
                    started_after=day.isoformat(),
                    started_before=(day + timedelta(days=1)).isoformat(),
                ),
            }
        )
    return {
        "bars": bars,
        "width": width,
        "height": height,
        "top": top,
        "total": sum(n for _day, n in series),
    }


def tiles(*, actor, tenant, membership):
    slug = tenant.slug
    tz = zoneinfo.ZoneInfo(tenant.timezone)
    today = timezone.localtime(timezone.now(), tz).date()
    visible = Recording.objects.for_actor(actor, tenant)
    first_day = today - timedelta(days=CHART_DAYS - 1)
    since = timezone.make_aware(
        timezone.datetime.combine(first_day, timezone.datetime.min.time()), tz
    )
    series = per_day(
        visible.filter(started_at__gte=since), tz=tz, first_day=first_day, days=CHART_DAYS
    )
    week_start = today - timedelta(days=6)
    week = sum(n for day, n in series if day >= week_start)
    month_start = today - timedelta(days=29)
    month_since = since - timedelta(days=30 - CHART_DAYS)
    objected = visible.filter(consent=Consent.OBJECTED, started_at__gte=month_since).count()
    chart = chart_bars(series, slug=slug)
    out = [
        Tile(
            _("Recordings per day"),
            number_format(chart["total"]),
            list_url(slug, started_after=first_day.isoformat()),
            note=_("last %(n)s days") % {"n": CHART_DAYS},
            order=30,
            template="recordings/_chart_tile.html",
            context=chart,
            wide=True,
        ),
        Tile(
            _("Recordings (7 days)"),
            number_format(week),
            list_url(slug, started_after=week_start.isoformat()),
            order=40,
        ),
        Tile(
            _("Objections (30 days)"),
            number_format(objected),
            list_url(slug, consent=Consent.OBJECTED, started_after=month_start.isoformat()),
            note=_("callers who objected; their audio is deleted"),
            order=44,
        ),
    ]
    if permissions.may_keep_recordings(membership):
        out.extend(_keeper_tiles(actor=actor, tenant=tenant, visible=visible))
    else:
        out.append(_recent_calls_tile(membership=membership, visible=visible, slug=slug))
    return out


def _keeper_tiles(*, actor, tenant, visible):
    slug = tenant.slug
    stored = visible.filter(audio_state=AudioState.STORED).aggregate(
        size=Sum("size"), n=Count("id")
    )
    held = visible.filter(legal_hold=True).count()
    ingests = Ingest.objects.for_actor(actor, tenant)
    day_ago = timezone.now() - timedelta(hours=24)
    health = ingests.aggregate(
        waiting=Count("id", filter=Q(status=IngestStatus.QUARANTINED)),
        rejected=Count("id", filter=Q(status=IngestStatus.REJECTED, finished_at__gte=day_ago)),
        stored=Count("id", filter=Q(status=IngestStatus.STORED, finished_at__gte=day_ago)),
    )
    ingest_url = reverse("recordings:ingests", kwargs={"tenant_slug": slug})
    if health["waiting"]:
        tone, note = (
            "warn",
            ngettext(
                "%(n)s recording waits for you (unknown extension or storage problem)",
                "%(n)s recordings wait for you (unknown extension or storage problem)",
                health["waiting"],
            )
            % {"n": number_format(health["waiting"])},
        )
    elif health["rejected"]:
        tone, note = (
            "warn",
            ngettext(
                "%(n)s file rejected in 24 hours",
                "%(n)s files rejected in 24 hours",
                health["rejected"],
            )
            % {"n": health["rejected"]},
        )
    else:
        tone, note = "ok", _("nothing waiting, nothing rejected in 24 hours")
    return [
        Tile(
            _("Storage used"),
            size_text(stored["size"] or 0),
            list_url(slug, audio_state=AudioState.STORED),
            note=ngettext("%(n)s recording with audio", "%(n)s recordings with audio", stored["n"])
            % {"n": number_format(stored["n"])},
            order=41,
        ),
        Tile(
            _("Ingest health"),
            number_format(health["stored"]),
            f"{ingest_url}?status=quarantined" if health["waiting"] else ingest_url,
            note=_("stored in 24 hours; %(detail)s") % {"detail": note},
            tone=tone,
            order=42,
        ),
        Tile(
            _("Under legal hold"),
            number_format(held),
            list_url(slug, legal_hold="true"),
            note=_("never purged or deleted while held"),
            order=45,
        ),
    ]


def _recent_calls_tile(*, membership, visible, slug):
    extension = own_extension(membership)
    rows = visible.filter(extension=extension) if extension else visible.none()
    recent = list(rows.defer("peaks").order_by("-started_at", "-id")[:5])
    return Tile(
        _("Your recent calls"),
        number_format(len(recent)),
        list_url(slug, extension=extension) if extension else list_url(slug),
        note=_("extension %(ext)s") % {"ext": extension}
        if extension
        else _("no extension linked to your account"),
        order=31,
        template="recordings/_recent_calls_tile.html",
        context={"recordings": recent},
    )
