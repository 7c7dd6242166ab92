"""Customer-menu pages of licensing: pools and assignments, a user's licences and history, the
capability matrix, the licence advisor and the CSV bulk assignment."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from hostedpbx.views import TenantViewMixin
from tenancy import permissions
from tenancy.choices import ALL_ROLES
from tenancy.selectors import pbx_users_for_list

from . import selectors, services
from .advisor import CurrentState, advise
from .choices import LICENSE_SHORT_NAMES, License
from .csv_format import CsvFormatError, decode
from .exceptions import LicensingError
from .forms import AdvisorForm, AssignForm, CsvImportForm, RevokeForm
from .policy import FLAG_DESCRIPTIONS, FLAG_LABELS, FLAGS, assignment_warnings

ADMINS = permissions.MANAGE_LICENCES
STAFF = permissions.VIEW_LICENCE_DETAILS
PAGE_SIZE = 50


class LicensingPageMixin(TenantViewMixin):
    """Tabs shared by the licensing pages and who may change things."""

    tab = ""

    @property
    def can_manage(self):
        return permissions.may_manage_licences(self.membership)

    def visible_users(self, query=""):
        """PBX users this page lists: all for staff, a member's own extension only."""
        users = pbx_users_for_list(actor=self.actor, tenant=self.tenant, query=query)
        if permissions.sees_own_extension_only(self.membership):
            users = users.filter(pk=self.membership.pbx_user_id)
        return users

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        role = self.membership.role
        context["tab"] = self.tab
        context["can_manage"] = self.can_manage
        context["tabs"] = [
            (name, label, reverse(f"licensing:{name}", kwargs={"tenant_slug": self.tenant.slug}))
            for name, label, roles in (
                # The side menu names the section ("Licences"); the tabs are its pages.
                ("overview", _("Pools and assignments"), ALL_ROLES),
                ("matrix", _("Capability matrix"), STAFF),
                ("advisor", _("Licence advisor"), ALL_ROLES),
                ("import", _("CSV import"), ADMINS),
            )
            if role in roles
        ]
        return context


class OverviewView(LicensingPageMixin, TemplateView):
    """Pool bars (used, available, expiry) and every user's licences with assign/revoke."""

    template_name = "licensing/overview.html"
    tab = "overview"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()
        pools = selectors.pool_usage(tenant=self.tenant)
        page = Paginator(self.visible_users(query), PAGE_SIZE).get_page(
            self.request.GET.get("page"))
        users = list(page)
        held = selectors.open_assignments_by_user(tenant=self.tenant,
                                                  pbx_user_ids=[u.pk for u in users])
        policies = selectors.policies_for(tenant=self.tenant, pbx_users=users)
        available = {usage.license: usage.available for usage in pools}
        rows = []
        for user in users:
            cells = []
            for lic in License.values:
                assignment = held.get(user.pk, {}).get(lic)
                cells.append({
                    "license": lic,
                    "label": LICENSE_SHORT_NAMES[lic],
                    "assignment": assignment,
                    "available": available[lic] > 0,
                    "warnings": assignment_warnings(
                        license=lic, client_type=user.client_type,
                        record_all_calls=user.record_all_calls, active=user.is_active),
                })
            rows.append({"user": user, "cells": cells, "policy": policies[user.pk]})
        context.update(pools=pools, page=page, rows=rows, query=query,
                       next_url=self.request.get_full_path())
        return context


def _next_url(request, tenant):
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) and candidate.startswith(f"/t/{tenant.slug}/"):
        return candidate
    return reverse("licensing:overview", kwargs={"tenant_slug": tenant.slug})


class AssignView(LicensingPageMixin, View):
    """POST: assign a licence (admins). Refusals come back as a message."""

    allowed_roles = ADMINS
    http_method_names = ["post"]

    def post(self, request, **kwargs):
        form = AssignForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Please choose an extension and a licence."))
            return redirect(_next_url(request, self.tenant))
        try:
            assignment = services.assign_license(actor=self.actor, tenant=self.tenant,
                                                 **form.cleaned_data)
        except LicensingError as exc:
            messages.error(request, exc.detail)
        else:
            user = assignment.pbx_user
            messages.success(request, _("%(license)s licence assigned to %(ext)s %(name)s.") % {
                "license": LICENSE_SHORT_NAMES[assignment.license], "ext": user.extension,
                "name": user.display_name})
            for warning in assignment_warnings(
                license=assignment.license, client_type=user.client_type,
                record_all_calls=user.record_all_calls, active=user.is_active,
            ):
                messages.warning(request, warning["detail"])
        return redirect(_next_url(request, self.tenant))


class RevokeView(LicensingPageMixin, View):
    """POST: revoke one assignment (admins); the history keeps it."""

    allowed_roles = ADMINS
    http_method_names = ["post"]

    def post(self, request, **kwargs):
        assignment = selectors.access_assignment(actor=self.actor, tenant=self.tenant,
                                                 assignment_id=kwargs["assignment_id"])
        form = RevokeForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        try:
            services.revoke_license(actor=self.actor, assignment=assignment, reason=reason)
        except LicensingError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("%(license)s licence of %(ext)s revoked.") % {
                "license": LICENSE_SHORT_NAMES[assignment.license],
                "ext": assignment.pbx_user.extension})
        return redirect(_next_url(request, self.tenant))


class UserLicensesView(LicensingPageMixin, TemplateView):
    """One user's licences, effective policy in plain words, and licence history."""

    template_name = "licensing/user.html"
    tab = "overview"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = selectors.access_pbx_user_for_policy(actor=self.actor, tenant=self.tenant,
                                                    extension=kwargs["extension"])
        policy = selectors.policy_for(pbx_user=user)
        held = selectors.open_assignments_by_user(tenant=self.tenant,
                                                  pbx_user_ids=[user.pk]).get(user.pk, {})
        pools = {usage.license: usage for usage in selectors.pool_usage(tenant=self.tenant)}
        licenses = [{
            "license": lic,
            "label": LICENSE_SHORT_NAMES[lic],
            "assignment": held.get(lic),
            "pool": pools[lic],
            "warnings": assignment_warnings(license=lic, client_type=user.client_type,
                                            record_all_calls=user.record_all_calls,
                                            active=user.is_active),
        } for lic in License.values]
        context.update(
            pbx_user=user, policy=policy,
            flags=[policy.flags[name] for name in FLAGS],
            licenses=licenses,
            history=selectors.history_of(pbx_user=user),
            next_url=self.request.get_full_path(),
        )
        return context


class MatrixView(LicensingPageMixin, TemplateView):
    """Rows: users; columns: the policy flags, each off cell with its reason."""

    template_name = "licensing/matrix.html"
    tab = "matrix"
    allowed_roles = STAFF

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()
        only_problems = self.request.GET.get("problems") == "1"
        users = list(self.visible_users(query))
        policies = selectors.policies_for(tenant=self.tenant, pbx_users=users)
        rows = []
        for user in users:
            policy = policies[user.pk]
            problem = bool(policy.ineffective_licenses or policy.lapsed_licenses)
            if only_problems and not problem:
                continue
            rows.append({"user": user, "policy": policy, "problem": problem,
                         "flags": [policy.flags[name] for name in FLAGS]})
        page = Paginator(rows, 100).get_page(self.request.GET.get("page"))
        context.update(
            page=page, query=query, only_problems=only_problems,
            columns=[{"name": name, "label": FLAG_LABELS[name],
                      "description": FLAG_DESCRIPTIONS[name]} for name in FLAGS],
        )
        return context


class AdvisorView(LicensingPageMixin, TemplateView):
    """Pick capabilities (and optionally a user): which licences, client type and settings
    they need, and what to change for that user."""

    template_name = "licensing/advisor.html"
    tab = "advisor"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        users = list(self.visible_users())
        form = AdvisorForm(self.request.GET or None, users=users)
        advice = user = None
        if form.is_bound and form.is_valid():
            current = None
            extension = form.cleaned_data.get("extension")
            if extension:
                user = next(u for u in users if u.extension == extension)
                current = CurrentState(
                    licenses=frozenset(selectors.active_licenses(pbx_user=user)),
                    client_type=user.client_type, record_all_calls=user.record_all_calls,
                    active=user.is_active)
            advice = advise(form.cleaned_data["capabilities"], current)
        pools = {usage.license: usage for usage in selectors.pool_usage(tenant=self.tenant)}
        context.update(form=form, advice=advice, advised_user=user,
                       advised_pools=[pools[lic] for lic in advice.licenses] if advice else [])
        return context


class ImportView(LicensingPageMixin, FormView):
    """Bulk assignment from an uploaded CSV; shows a result per row. Checks first by default;
    after a check run the page offers to apply the same file without choosing it again."""

    template_name = "licensing/import.html"
    form_class = CsvImportForm
    tab = "import"
    allowed_roles = ADMINS

    def form_valid(self, form):
        data, filename = form.data_and_name()
        try:
            result = services.import_assignments_csv(
                actor=self.actor,
                tenant=self.tenant,
                data=data,
                filename=filename,
                dry_run=form.cleaned_data["dry_run"],
            )
        except CsvFormatError as exc:
            form.add_error("file", exc.detail)
            return self.form_invalid(form)
        if not result.dry_run and result.ok_count:
            messages.success(
                self.request,
                _("%(ok)d of %(total)d rows applied.")
                % {"ok": result.ok_count, "total": len(result.rows)},
            )
        apply_form = None
        if result.dry_run and result.ok_count:
            apply_form = CsvImportForm(
                initial={"dry_run": False, "content": decode(data), "filename": filename}
            )
        return self.render_to_response(
            self.get_context_data(form=CsvImportForm(), result=result, apply_form=apply_form)
        )


class ImportTemplateView(LicensingPageMixin, View):
    """A CSV template to fill in, with the column names and values in the user's language
    (German: semicolon-separated, as spreadsheets here expect)."""

    allowed_roles = ADMINS

    def get(self, request, **kwargs):
        german = get_language().startswith("de")
        sep = ";" if german else ","
        header = (
            ["Durchwahl", "Lizenz", "Aktion", "Grund"]
            if german
            else ["extension", "license", "action", "reason"]
        )
        assign, revoke = ("zuweisen", "entziehen") if german else ("assign", "revoke")
        rows = [
            header,
            ["201", "monitor", assign, _("Quality assurance")],
            ["202", "record", assign, ""],
            ["203", "monitor", revoke, _("Left the team")],
        ]
        body = "\r\n".join(sep.join(row) for row in rows) + "\r\n"
        response = HttpResponse(("\ufeff" + body).encode("utf-8"),
                                content_type="text/csv; charset=utf-8")
        name = "lizenzen-vorlage.csv" if german else "licences-template.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
