"""Writes of the legal-notice routing. Each runs in one transaction and audits in it.

- ``create_routing`` / ``update_routing``: the draft, validated (``definition.validate``).
- ``generate_audio`` / ``upload_audio``: announcement audio into the recordings store under
  ``routing-audio/<tenant_id>/<routing_id>/``; keys derive from the content (SHA-256), so a
  re-run writes the same object and old versions keep their audio.
- ``publish_routing``: refuses number sets that overlap another published routing of the tenant
  (``overlapping_numbers``), makes missing or outdated generated audio, and snapshots the draft
  into the next numbered, immutable version.
- ``rollback_routing``: publishes an older version's definition again as a new number and resets
  the draft to it.
- ``record_consent_proof``: called by the PBX consent report (recordings) inside its transaction.
"""

from __future__ import annotations

import hashlib
import tempfile

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from audit.chain import describe_actor

from . import audio as audio_lib
from .choices import LANGUAGES, AudioSource, Mode, Outcome, VersionKind
from .defaults import default_text, render_text
from .definition import (
    FIELDS,
    build_definition,
    keys_in_use,
    normalise_number,
    parse_numbers,
    validate,
)
from .models import ConsentProof, Routing, RoutingAudio, RoutingVersion


def _actor_label(actor) -> str:
    return describe_actor(actor)[2][:200]


def draft_values(routing: Routing) -> dict:
    return {name: getattr(routing, name) for name in FIELDS}


def default_values(*, name: str = "", mode: str = Mode.OPT_OUT) -> dict:
    """A new routing's values: all numbers, keys 9/1, 5 s, one repeat, German and English."""
    return {
        "name": name,
        "covers_all": True,
        "numbers": [],
        "mode": mode,
        "objection_key": "9",
        "consent_key": "1",
        "timeout_seconds": 5,
        "repeats": 1,
        "languages": ["de", "en"],
        "text_de": default_text(mode, "de"),
        "text_en": default_text(mode, "en"),
        "objection_route_to": "",
    }


def clean_values(values: dict, base: dict | None = None) -> dict:
    """``base`` updated with the known fields of ``values``, normalised (numbers parsed,
    strings stripped); unknown keys are ignored."""
    merged = dict(base or default_values())
    for name in FIELDS:
        if name in values:
            merged[name] = values[name]
    merged["numbers"] = parse_numbers(merged.get("numbers"))
    merged["name"] = str(merged.get("name") or "").strip()
    merged["objection_route_to"] = normalise_number(merged.get("objection_route_to"))
    langs = merged.get("languages")
    merged["languages"] = [langs] if isinstance(langs, str) else list(langs or [])
    for name in ("objection_key", "consent_key"):
        merged[name] = str(merged.get(name) or "").strip()
    for name in ("text_de", "text_en"):
        merged[name] = str(merged.get(name) or "").strip()
    merged["covers_all"] = merged.get("covers_all") in (True, "true", "on", "1", 1)
    return merged


def _check_name_unique(*, tenant, name, exclude_pk=None):
    qs = Routing.unscoped.filter(tenant=tenant, name=name)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError(
            {
                "name": ValidationError(
                    _("Another routing is called “%(name)s”.") % {"name": name}, code="name_taken"
                )
            }
        )


def create_routing(*, actor, tenant, values: dict) -> Routing:
    """A new draft from the defaults of its mode overlaid with ``values``. Raises
    ``ValidationError``.
    Audited as ``routing.created``."""
    mode = values.get("mode") if values.get("mode") in Mode.values else Mode.OPT_OUT
    values = clean_values(values, default_values(mode=mode))
    validate(values)
    with transaction.atomic():
        _check_name_unique(tenant=tenant, name=values["name"])
        routing = Routing(tenant=tenant, **values)
        routing.save()
        audit.record(
            actor=actor,
            tenant=tenant,
            action="routing.created",
            obj=routing,
            data={"name": routing.name, "values": values},
        )
    return routing


def update_routing(*, actor, routing: Routing, values: dict) -> Routing:
    """Change the draft (the published version stays as it is until the next publish).
    Raises ``ValidationError``; unchanged values audit nothing. Audited as
    ``routing.draft_changed`` with the changed fields before and after."""
    with transaction.atomic():
        locked = Routing.unscoped.select_for_update().get(pk=routing.pk)
        before = draft_values(locked)
        after = clean_values(values, before)
        validate(after)
        if after["name"] != before["name"]:
            _check_name_unique(tenant=locked.tenant_id, name=after["name"], exclude_pk=locked.pk)
        changed = {
            k: {"before": before[k], "after": after[k]} for k in FIELDS if before[k] != after[k]
        }
        if not changed:
            return locked
        for name, value in after.items():
            setattr(locked, name, value)
        locked.save()
        audit.record(
            actor=actor,
            tenant=locked.tenant_id,
            action="routing.draft_changed",
            obj=locked,
            data={"name": locked.name, "changed": changed},
        )
    return locked


def spoken_text(values: dict, language: str) -> str:
    keys = keys_in_use(values)
    return render_text(
        values[f"text_{language}"],
        language=language,
        objection_key=keys.get("objection", ""),
        consent_key=keys.get("consent", ""),
    )


def _text_sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _store_audio(*, routing, language, result, source, text_sha256="", original_name=""):
    from recordings.storage import get_store

    key = f"routing-audio/{routing.tenant_id}/{routing.pk}/{language}-{result.sha256[:32]}.wav"
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        tmp.write(result.data)
        tmp.flush()
        get_store().put_file(
            key,
            tmp.name,
            content_type="audio/wav",
            metadata={"routing": str(routing.pk), "language": language},
        )
    return RoutingAudio.unscoped.create(
        tenant_id=routing.tenant_id,
        routing=routing,
        language=language,
        source=source,
        storage_key=key,
        sha256=result.sha256,
        size=result.size,
        duration=result.duration,
        text_sha256=text_sha256,
        original_name=original_name[:200],
    )


def _check_language(routing, language):
    if language not in LANGUAGES or language not in routing.languages:
        raise ValidationError(
            {
                "language": ValidationError(
                    _("This routing does not speak that language."), code="invalid_language"
                )
            }
        )


def _audio_error(exc: audio_lib.AudioError):
    messages = {
        "too_large": _("The file is larger than 20 MB."),
        "empty": _("The file is empty."),
        "not_audio": _("The file is not audio this portal can read (WAV, FLAC, OGG, MP3)."),
        "too_long": _("The announcement may be at most 3 minutes long."),
    }
    return ValidationError(
        {
            "audio": ValidationError(
                messages.get(exc.code, _("The audio could not be converted.")), code=exc.code
            )
        }
    )


def generate_audio(*, actor, routing: Routing, language: str) -> RoutingAudio:
    """Speak the draft's text in ``language`` (espeak-ng) and make it the draft's audio.

    Nothing new is stored when the current generated audio was made from the same text.
    Audited as ``routing.audio_generated``. Raises ``ValidationError`` (``invalid_language``,
    ``synthesis_failed``)."""
    _check_language(routing, language)
    with transaction.atomic():
        locked = Routing.unscoped.select_for_update().get(pk=routing.pk)
        text = spoken_text(draft_values(locked), language)
        current = locked.audio(language)
        if (
            current is not None
            and current.source == AudioSource.GENERATED
            and current.text_sha256 == _text_sha(text)
        ):
            return current
        try:
            result = audio_lib.synthesise(text, language)
        except audio_lib.AudioError as exc:
            raise ValidationError(
                {
                    "audio": ValidationError(
                        _("The announcement could not be spoken."), code=exc.code
                    )
                }
            ) from exc
        item = _store_audio(
            routing=locked,
            language=language,
            result=result,
            source=AudioSource.GENERATED,
            text_sha256=_text_sha(text),
        )
        _attach_audio(actor=actor, routing=locked, language=language, item=item,
                      action="routing.audio_generated")
    return item


def _attach_audio(*, actor, routing: Routing, language: str, item, action: str,
                  extra: dict | None = None) -> None:
    """Make ``item`` the draft's audio of ``language`` (``routing`` is locked by the caller's
    transaction) and audit ``action`` in that transaction."""
    setattr(routing, f"audio_{language}", item)
    routing.save(update_fields=[f"audio_{language}", "updated_at"])
    audit.record(
        actor=actor,
        tenant=routing.tenant_id,
        action=action,
        obj=routing,
        data={
            "language": language,
            "sha256": item.sha256,
            "duration": item.duration,
            "audio_id": item.pk,
            **(extra or {}),
        },
    )


def upload_audio(
    *, actor, routing: Routing, language: str, fileobj, name: str = "", size: int | None = None
) -> RoutingAudio:
    """Validate and convert an uploaded announcement; it becomes the draft's audio of
    ``language`` (the text stays as its transcript). Audited as ``routing.audio_uploaded``.
    Raises ``ValidationError`` with the code of ``audio.convert_upload``."""
    _check_language(routing, language)
    try:
        result = audio_lib.convert_upload(fileobj, size=size)
    except audio_lib.AudioError as exc:
        raise _audio_error(exc) from exc
    with transaction.atomic():
        locked = Routing.unscoped.select_for_update().get(pk=routing.pk)
        item = _store_audio(
            routing=locked,
            language=language,
            result=result,
            source=AudioSource.UPLOADED,
            original_name=name,
        )
        _attach_audio(actor=actor, routing=locked, language=language, item=item,
                      action="routing.audio_uploaded", extra={"name": name[:200]})
    return item


def audio_summary(item: RoutingAudio | None) -> dict | None:
    if item is None:
        return None
    return {"id": item.pk, "sha256": item.sha256, "duration": item.duration, "source": item.source}


def _overlaps(tenant_id, routing_pk, numbers_all: bool, numbers: list[str]) -> list[tuple]:
    """``[(routing name, [numbers])]`` of other published routings whose numbers meet these."""
    found = []
    others = (
        Routing.unscoped.filter(tenant_id=tenant_id, published_version__isnull=False)
        .exclude(pk=routing_pk)
        .select_related("published_version")
    )
    mine = set(numbers)
    for other in others:
        their = other.published_version.definition["numbers"]
        if numbers_all or their["all"]:
            found.append((other.name, [_("all numbers")]))
        elif mine & set(their["list"]):
            found.append((other.name, sorted(mine & set(their["list"]))))
    return found


def _lock_for_publish(routing: Routing) -> Routing:
    """Lock every routing of the tenant (in id order, so publishes never deadlock) and return
    this one: publishes of one tenant run one after the other, and two routings published at
    once cannot both pass the overlap check."""
    locked = {
        r.pk: r
        for r in Routing.unscoped.select_for_update()
        .filter(tenant_id=routing.tenant_id)
        .order_by("pk")
    }
    return locked[routing.pk]


def _publish(
    *, actor, routing: Routing, definition: dict, kind: str, rolled_back_to: int | None = None
) -> RoutingVersion:
    overlap = _overlaps(
        routing.tenant_id, routing.pk, definition["numbers"]["all"], definition["numbers"]["list"]
    )
    if overlap:
        name, numbers = overlap[0]
        raise ValidationError(
            {
                "numbers": ValidationError(
                    _(
                        "These numbers are covered by the published routing “%(name)s” already: "
                        "%(numbers)s. A call must meet exactly one routing."
                    )
                    % {"name": name, "numbers": ", ".join(str(n) for n in numbers)},
                    code="overlapping_numbers",
                )
            }
        )
    last = routing.versions.order_by("-number").first()
    version = RoutingVersion(
        tenant_id=routing.tenant_id,
        routing=routing,
        number=(last.number if last else 0) + 1,
        kind=kind,
        rolled_back_to=rolled_back_to,
        definition=definition,
        published_at=timezone.now(),
        published_by=_actor_label(actor),
    )
    version.save(force_insert=True)
    routing.published_version = version
    routing.save(update_fields=["published_version", "updated_at"])
    return version


def publish_routing(*, actor, routing: Routing) -> RoutingVersion:
    """Publish the draft as the next version (what the PBX fetches from now on).

    Generated audio missing or made from an older text is generated first. Raises
    ``ValidationError`` (``overlapping_numbers`` or a draft error) and then publishes nothing;
    publishing an unchanged draft again returns the current version. Audited as
    ``routing.published`` with the diff to the previous version."""
    with transaction.atomic():
        locked = _lock_for_publish(routing)
        values = draft_values(locked)
        validate(values)
        for language in values["languages"]:
            item = locked.audio(language)
            stale = (
                item is not None
                and item.source == AudioSource.GENERATED
                and item.text_sha256 != _text_sha(spoken_text(values, language))
            )
            if item is None or stale:
                generate_audio(actor=actor, routing=locked, language=language)
                locked.refresh_from_db()
        definition = build_definition(
            values, {lang: audio_summary(locked.audio(lang)) for lang in values["languages"]}
        )
        previous = locked.published_version
        if previous is not None and previous.definition == definition:
            return previous
        version = _publish(
            actor=actor, routing=locked, definition=definition, kind=VersionKind.PUBLISHED
        )
        from .definition import diff_definitions

        audit.record(
            actor=actor,
            tenant=locked.tenant_id,
            action="routing.published",
            obj=locked,
            data={
                "name": locked.name,
                "version": version.number,
                "version_id": version.pk,
                "changes": diff_definitions(previous.definition if previous else {}, definition),
            },
        )
    return version


def rollback_routing(*, actor, routing: Routing, number: int) -> RoutingVersion:
    """Publish version ``number`` of this routing again (as a new number) and reset the draft
    to it. Raises ``ValidationError`` (``unknown_version``, ``already_current``,
    ``overlapping_numbers``). Audited as ``routing.rolled_back``."""
    with transaction.atomic():
        locked = _lock_for_publish(routing)
        target = locked.versions.filter(number=number).first()
        if target is None:
            raise ValidationError(
                {
                    "version": ValidationError(
                        _("This routing has no version %(n)s.") % {"n": number},
                        code="unknown_version",
                    )
                }
            )
        current = locked.published_version
        if current is not None and current.definition == target.definition:
            raise ValidationError(
                {
                    "version": ValidationError(
                        _("Version %(n)s is what the PBX runs already.") % {"n": number},
                        code="already_current",
                    )
                }
            )
        version = _publish(
            actor=actor,
            routing=locked,
            definition=target.definition,
            kind=VersionKind.ROLLBACK,
            rolled_back_to=target.number,
        )
        _reset_draft(locked, target)
        audit.record(
            actor=actor,
            tenant=locked.tenant_id,
            action="routing.rolled_back",
            obj=locked,
            data={
                "name": locked.name,
                "to": target.number,
                "from": current.number if current else None,
                "version": version.number,
                "version_id": version.pk,
            },
        )
    return version


def _reset_draft(routing: Routing, version: RoutingVersion) -> None:
    """The draft becomes what ``version`` says (texts as published, audio as referenced)."""
    d = version.definition
    routing.name = d["name"]
    routing.mode = d["mode"]
    routing.covers_all = d["numbers"]["all"]
    routing.numbers = d["numbers"]["list"]
    if d["keys"]["objection"]:
        routing.objection_key = d["keys"]["objection"]
    if d["keys"]["consent"]:
        routing.consent_key = d["keys"]["consent"]
    routing.timeout_seconds = d["timeout_seconds"]
    routing.repeats = d["repeats"]
    routing.languages = [entry["code"] for entry in d["languages"]]
    routing.objection_route_to = d["on_objection"]["route_to"] or ""
    for entry in d["languages"]:
        setattr(routing, f"text_{entry['code']}", entry.get("template") or entry["text"])
        audio_id = (entry.get("audio") or {}).get("id")
        setattr(routing, f"audio_{entry['code']}_id", audio_id)
    routing.save()


def record_consent_proof(
    *,
    actor,
    tenant,
    call,
    outcome: str,
    routing_version=None,
    language: str = "",
    key: str = "",
    reported_at=None,
) -> ConsentProof:
    """Keep what the PBX reported about the caller (inside the consent report's transaction).

    ``routing_version`` is a published version's id, or ``"<routing id>:<number>"``; it must
    belong to the tenant. Raises ``ValidationError`` (``unknown_routing_version``,
    ``invalid_language``, ``invalid_key``, ``invalid_outcome``), which rolls back the report.
    Audited as ``routing.consent_proof_recorded``."""
    errors = {}
    version = None
    if routing_version not in (None, ""):
        version = _find_version(tenant, routing_version)
        if version is None:
            errors["routing_version"] = ValidationError(
                _("No published routing version with this id in this tenant."),
                code="unknown_routing_version",
            )
    language = str(language or "").strip()
    if language and language not in LANGUAGES:
        errors["language"] = ValidationError(_("Language is de or en."), code="invalid_language")
    key = str(key or "").strip()
    if key and (len(key) != 1 or key not in "0123456789*#"):
        errors["key"] = ValidationError(_("A key is one of 0–9, * or #."), code="invalid_key")
    if outcome not in Outcome.values:
        errors["outcome"] = ValidationError(_("Unknown outcome."), code="invalid_outcome")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        last = ConsentProof.unscoped.filter(call=call).order_by("-reported_at", "-pk").first()
        if (
            last is not None
            and last.routing_version_id == (version.pk if version else None)
            and (last.language, last.key, last.outcome) == (language, key, outcome)
        ):
            return last  # the same report again
        proof = ConsentProof.unscoped.create(
            tenant_id=getattr(tenant, "pk", tenant),
            call=call,
            routing_version=version,
            language=language,
            key=key,
            outcome=outcome,
            reported_at=reported_at or timezone.now(),
            reported_by=_actor_label(actor),
        )
        audit.record(
            actor=actor,
            tenant=proof.tenant_id,
            action="routing.consent_proof_recorded",
            obj=proof,
            data={
                "call_id": call.call_id,
                "outcome": outcome,
                "routing_version": version.pk if version else None,
                "version": version.number if version else None,
                "language": language,
                "key": key,
            },
        )
    return proof


def _find_version(tenant, reference):
    tenant_id = getattr(tenant, "pk", tenant)
    text = str(reference).strip()
    qs = RoutingVersion.unscoped.filter(tenant_id=tenant_id)
    if ":" in text:
        routing_id, _sep, number = text.partition(":")
        if routing_id.isdigit() and number.isdigit():
            return qs.filter(routing_id=int(routing_id), number=int(number)).first()
        return None
    if text.isdigit():
        return qs.filter(pk=int(text)).first()
    return None
