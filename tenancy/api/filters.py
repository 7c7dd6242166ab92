import django_filters
from django.db.models import Q

from hostedpbx.api.filters import StrictFilterSet
from tenancy.models import PbxUser


class PbxUserFilter(StrictFilterSet):
    q = django_filters.CharFilter(method="search", label="extension prefix or name")
    client_type = django_filters.CharFilter()
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = PbxUser
        fields = ["client_type", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(extension__startswith=value) | Q(display_name__icontains=value))
