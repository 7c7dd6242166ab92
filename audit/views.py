from django.core.paginator import Paginator
from django.views.generic import TemplateView

from hostedpbx.views import TenantViewMixin
from tenancy import permissions

from .api.filters import AuditEventFilter
from .chain import verify
from .models import AuditEvent

REVIEWERS = permissions.REVIEW_AUDIT


class AuditTrailView(TenantViewMixin, TemplateView):
    """The tenant's audit trail with filters, integrity check and export links."""

    template_name = "audit/trail.html"
    allowed_roles = REVIEWERS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        events = AuditEvent.objects.for_actor(self.actor, self.tenant).order_by("-seq")
        filterset = AuditEventFilter(self.request.GET, queryset=events)
        page = Paginator(filterset.qs, 50).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(page=page, filters=self.request.GET, query=query.urlencode(),
                       page_query=query.urlencode())
        if self.request.GET.get("verify"):
            context["verification"] = verify(self.tenant)
        return context
