"""Provider staff look at routings, versions and proofs; changes go through the menu."""

from django.contrib import admin

from hostedpbx.admin import ReadOnlyAdmin

from .models import ConsentProof, Routing, RoutingAudio, RoutingVersion


@admin.register(Routing)
class RoutingAdmin(ReadOnlyAdmin):
    list_display = ["name", "tenant", "mode", "covers_all", "published_version", "updated_at"]
    list_filter = ["mode", "tenant"]


@admin.register(RoutingVersion)
class RoutingVersionAdmin(ReadOnlyAdmin):
    list_display = ["routing", "number", "kind", "published_at", "published_by"]


@admin.register(RoutingAudio)
class RoutingAudioAdmin(ReadOnlyAdmin):
    list_display = ["routing", "language", "source", "duration", "created_at"]


@admin.register(ConsentProof)
class ConsentProofAdmin(ReadOnlyAdmin):
    list_display = ["call", "routing_version", "language", "key", "outcome", "reported_at"]
    list_filter = ["outcome", "language"]
