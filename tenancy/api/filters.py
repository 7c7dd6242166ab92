import django_filters
from django.db.models import Q
from django.utils import timezone

from hostedpbx.api.filters import StrictFilterSet
from tenancy.models import Invitation, PbxUser


class PbxUserFilter(StrictFilterSet):
    q = django_filters.CharFilter(method="search", label="extension prefix or name")
    client_type = django_filters.CharFilter()
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = PbxUser
        fields = ["client_type", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(extension__startswith=value) | Q(display_name__icontains=value))


INVITATION_STATUSES = [(s, s) for s in ("pending", "accepted", "declined", "revoked", "expired")]


class InvitationFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=INVITATION_STATUSES, method="by_status",
                                         label="pending, accepted, declined, revoked, expired")

    class Meta:
        model = Invitation
        fields: list = []

    def by_status(self, queryset, name, value):
        now = timezone.now()
        if value == "pending":
            return queryset.pending(now)
        if value == "expired":
            return queryset.unanswered().filter(expires_at__lte=now)
        if value == "accepted":
            return queryset.filter(accepted_at__isnull=False)
        if value == "declined":
            return queryset.filter(declined_at__isnull=False)
        return queryset.filter(revoked_at__isnull=False)
