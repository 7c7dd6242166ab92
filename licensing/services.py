"""Writes of the licensing part. Each runs in one transaction and audits the change in it.

No over-assignment, ever: ``assign_license`` locks the tenant's pool row of the licence
(``SELECT ... FOR UPDATE``) before counting the open assignments, so concurrent assignments of
one licence in one tenant run one after the other; on SQLite every transaction is ``BEGIN
IMMEDIATE`` (settings), which serialises writers the same way. The partial unique constraint
"one open assignment per user and licence" is the second guard (an ``IntegrityError`` becomes
``already_assigned``).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

import audit
from audit.chain import describe_actor
from tenancy.models import PbxUser

from .choices import (
    LICENSE_SHORT_NAMES,
    OK_OUTCOMES,
    PLANNED_LABELS,
    CsvAction,
    License,
    PoolStatus,
    RowOutcome,
)
from .csv_format import CsvRow, parse_csv
from .exceptions import (
    AlreadyAssigned,
    AlreadyRevoked,
    InvalidLicense,
    LicensingError,
    NotAssigned,
    PbxUserInactive,
    PoolExhausted,
    UnknownExtension,
)
from .models import LicenseAssignment, LicensePool
from .policy import assignment_warnings
from .selectors import tenant_today, used_count

logger = logging.getLogger(__name__)

# Called after the commit of every revocation of a Monitor licence with
# ``(tenant_id, pbx_user_id)``; the supervision part ends the user's running monitoring
# sessions here. A failing hook is logged and does not undo the revocation.
MONITOR_REVOKED_HOOKS: list[Callable[[int, int], None]] = []

REASON_MAX = 500


def _actor_label(actor) -> str:
    return describe_actor(actor)[2][:200]


def _license_name(license: str) -> str:
    return str(LICENSE_SHORT_NAMES.get(license, license))


def _check_license(license) -> str:
    if license not in License.values:
        raise InvalidLicense(_("Unknown licence “%(license)s”; use monitor or record.")
                             % {"license": license})
    return license


def _pool_snapshot(pool: LicensePool | None) -> dict | None:
    if pool is None:
        return None
    return {
        "quantity": pool.quantity,
        "valid_from": pool.valid_from.isoformat() if pool.valid_from else None,
        "valid_until": pool.valid_until.isoformat() if pool.valid_until else None,
    }


def _as_date(value, field):
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: ValidationError(
            _("Enter a date as YYYY-MM-DD."), code="invalid_date")})


# The column's range (a PositiveIntegerField: 32-bit on PostgreSQL); more is refused, not
# stored (SQLite would store it, PostgreSQL would fail with a 500).
MAX_POOL_QUANTITY = 2_147_483_647


def set_license_pool(*, actor, tenant, license: str, quantity: int, valid_from=None,
                     valid_until=None) -> LicensePool:
    """Set the tenant's pool of ``license`` to exactly this quantity and validity.

    Creates the pool when missing. Raises ``ValidationError`` with codes ``invalid_license``,
    ``invalid_quantity``, ``invalid_date``, ``invalid_validity`` (until before from) or
    ``quantity_below_used`` (fewer licences than are assigned: revoke first), and then writes
    nothing. Re-running with the same values changes nothing and audits nothing.
    """
    if license not in License.values:
        raise ValidationError({"license": ValidationError(
            _("Unknown licence; use monitor or record."), code="invalid_license")})
    try:
        quantity = int(quantity)
    except (TypeError, ValueError):
        quantity = -1
    if quantity < 0 or quantity > MAX_POOL_QUANTITY:
        raise ValidationError({"quantity": ValidationError(
            _("The quantity must be a whole number from 0 to %(max)s."),
            code="invalid_quantity", params={"max": MAX_POOL_QUANTITY})})
    valid_from = _as_date(valid_from, "valid_from")
    valid_until = _as_date(valid_until, "valid_until")
    if valid_from and valid_until and valid_until < valid_from:
        raise ValidationError({"valid_until": ValidationError(
            _("“Valid until” must not be before “valid from”."), code="invalid_validity")})

    with transaction.atomic():
        existed = LicensePool.unscoped.filter(tenant=tenant, license=license).exists()
        if not existed:
            LicensePool.unscoped.bulk_create(
                [LicensePool(tenant=tenant, license=license, quantity=0)], ignore_conflicts=True)
        pool = LicensePool.unscoped.select_for_update().get(tenant=tenant, license=license)
        before = _pool_snapshot(pool) if existed else None
        used = used_count(tenant=tenant, license=license)
        if quantity < used:
            raise ValidationError({"quantity": ValidationError(
                _("%(used)d %(license)s licences are assigned; revoke some before lowering the "
                  "quantity to %(quantity)d.")
                % {"used": used, "license": _license_name(license), "quantity": quantity},
                code="quantity_below_used")})
        pool.quantity = quantity
        pool.valid_from = valid_from
        pool.valid_until = valid_until
        after = _pool_snapshot(pool)
        if before == after:
            return pool
        pool.save()
        audit.record(actor=actor, tenant=tenant, action="license_pool.set", obj=pool,
                     data={"license": license, "before": before, "after": after, "used": used})
    return pool


def _resolve_pbx_user(tenant, extension, pbx_user) -> PbxUser:
    if pbx_user is not None:
        if pbx_user.tenant_id != tenant.pk:
            raise UnknownExtension(_("There is no PBX user with this extension."))
        return pbx_user
    user = PbxUser.unscoped.filter(tenant=tenant, extension=str(extension or "").strip()).first()
    if user is None:
        raise UnknownExtension(_("There is no PBX user with extension %(ext)s.")
                               % {"ext": extension})
    return user


def assign_license(*, actor, tenant, license: str, extension: str | None = None,
                   pbx_user: PbxUser | None = None, reason: str = "") -> LicenseAssignment:
    """Give ``license`` from the tenant's pool to the PBX user (by ``extension`` or instance).

    Raises, writing nothing: ``InvalidLicense``, ``UnknownExtension``, ``AlreadyAssigned`` (the
    user holds it already), ``PbxUserInactive``, ``PoolExhausted`` (used up, expired, not yet
    valid, or no pool). The client type is no obstacle: a desk-phone user may hold Monitor;
    the policy explains what will not work. Audited as ``license.assigned``.
    """
    _check_license(license)
    reason = (reason or "").strip()[:REASON_MAX]
    with transaction.atomic():
        user = _resolve_pbx_user(tenant, extension, pbx_user)
        # The lock that serialises every assignment of this licence in this tenant.
        pool = (LicensePool.unscoped.select_for_update()
                .filter(tenant=tenant, license=license).first())
        if LicenseAssignment.unscoped.filter(pbx_user=user, license=license,
                                             revoked_at__isnull=True).exists():
            raise AlreadyAssigned(_("%(ext)s already holds a %(license)s licence.")
                                  % {"ext": user.extension, "license": _license_name(license)})
        if not user.is_active:
            raise PbxUserInactive(_("PBX user %(ext)s is deactivated.") % {"ext": user.extension})
        _check_pool(tenant, license, pool)
        used = used_count(tenant=tenant, license=license)
        if used >= pool.quantity:
            raise PoolExhausted(
                _("All %(quantity)d %(license)s licences are assigned.")
                % {"quantity": pool.quantity, "license": _license_name(license)})
        assignment = LicenseAssignment(
            tenant=tenant, pbx_user=user, license=license, assigned_at=timezone.now(),
            assigned_by=_actor_label(actor), assign_reason=reason,
        )
        try:
            with transaction.atomic():
                assignment.save(force_insert=True)
        except IntegrityError:
            raise AlreadyAssigned(_("%(ext)s already holds a %(license)s licence.")
                                  % {"ext": user.extension, "license": _license_name(license)})
        audit.record(actor=actor, tenant=tenant, action="license.assigned", obj=assignment,
                     data={"extension": user.extension, "license": license, "reason": reason,
                           "used": used + 1, "quantity": pool.quantity})
    return assignment


def _check_pool(tenant, license, pool):
    name = _license_name(license)

    def day(value):
        return formats.date_format(value, "SHORT_DATE_FORMAT")

    if pool is None:
        raise PoolExhausted(_("Your tenant has no %(license)s licences.") % {"license": name})
    status = pool.status_on(tenant_today(tenant))
    if status == PoolStatus.EXPIRED:
        raise PoolExhausted(_("Your %(license)s licences expired on %(date)s.")
                            % {"license": name, "date": day(pool.valid_until)})
    if status == PoolStatus.NOT_YET_VALID:
        raise PoolExhausted(_("Your %(license)s licences are valid from %(date)s.")
                            % {"license": name, "date": day(pool.valid_from)})


def revoke_license(*, actor, assignment: LicenseAssignment, reason: str = "") -> LicenseAssignment:
    """End an assignment; the row stays as history. Raises ``AlreadyRevoked``.

    Revoking Monitor turns off automatic recording and being monitored at once (the policy is
    derived from open assignments) and, after the commit, calls ``MONITOR_REVOKED_HOOKS``.
    Audited as ``license.revoked``.
    """
    reason = (reason or "").strip()[:REASON_MAX]
    with transaction.atomic():
        locked = (LicenseAssignment.unscoped.select_for_update()
                  .select_related("pbx_user").get(pk=assignment.pk))
        if locked.revoked_at is not None:
            raise AlreadyRevoked(_("This licence was revoked already."))
        locked.revoked_at = timezone.now()
        locked.revoked_by = _actor_label(actor)
        locked.revoke_reason = reason
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit.record(actor=actor, tenant=locked.tenant_id, action="license.revoked", obj=locked,
                     data={"extension": locked.pbx_user.extension, "license": locked.license,
                           "reason": reason, "assigned_at": locked.assigned_at.isoformat()})
        if locked.license == License.MONITOR:
            for hook in MONITOR_REVOKED_HOOKS:
                transaction.on_commit(
                    _monitor_revoked_call(hook, locked.tenant_id, locked.pbx_user_id),
                    robust=True)
    return locked


def _monitor_revoked_call(hook, tenant_id, pbx_user_id):
    # A plain function (not functools.partial): Django logs a failing robust callback by its
    # ``__qualname__``.
    def call_monitor_revoked_hook():
        hook(tenant_id, pbx_user_id)

    call_monitor_revoked_hook.__qualname__ = getattr(hook, "__qualname__", repr(hook))
    return call_monitor_revoked_hook


def revoke_license_of(*, actor, tenant, license: str, extension: str | None = None,
                      pbx_user: PbxUser | None = None, reason: str = "") -> LicenseAssignment:
    """Revoke the user's open assignment of ``license``. Raises ``InvalidLicense``,
    ``UnknownExtension``, ``NotAssigned``."""
    _check_license(license)
    with transaction.atomic():
        user = _resolve_pbx_user(tenant, extension, pbx_user)
        assignment = LicenseAssignment.unscoped.filter(
            tenant=tenant, pbx_user=user, license=license, revoked_at__isnull=True).first()
        if assignment is None:
            raise NotAssigned(_("%(ext)s holds no %(license)s licence.")
                              % {"ext": user.extension, "license": _license_name(license)})
        return revoke_license(actor=actor, assignment=assignment, reason=reason)


# --- bulk assignment from CSV ---------------------------------------------------------------
@dataclass(frozen=True)
class RowResult:
    line: int
    extension: str
    license: str
    action: str
    outcome: str
    detail: str
    # What the assigned licence will not do for this user (the same texts as the licences
    # table shows next to its Assign button): ``assignment_warnings(...)`` details.
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.outcome in OK_OUTCOMES

    @property
    def outcome_label(self):
        return RowOutcome(self.outcome).label

    @property
    def license_label(self):
        """The licence's name; what the file said when it names no licence."""
        return LICENSE_SHORT_NAMES.get(self.license, self.license)

    @property
    def action_label(self):
        return CsvAction(self.action).label if self.action in CsvAction.values else self.action

    @property
    def planned_label(self):
        """The label of a check run: "would be assigned" where the real run says "assigned"."""
        return PLANNED_LABELS.get(self.outcome, self.outcome_label)


@dataclass(frozen=True)
class ImportResult:
    rows: tuple[RowResult, ...]
    dry_run: bool
    filename: str = ""

    @property
    def ok_count(self) -> int:
        return sum(1 for row in self.rows if row.ok)

    @property
    def failed_count(self) -> int:
        return len(self.rows) - self.ok_count

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for row in self.rows:
            out[row.outcome] = out.get(row.outcome, 0) + 1
        return out


def _apply_row(*, actor, tenant, row: CsvRow) -> RowResult:
    license = row.normalized_license
    action = row.normalized_action

    def result(outcome, detail, warnings=()):
        return RowResult(line=row.line, extension=row.extension, license=license or row.license,
                         action=action or row.action, outcome=outcome, detail=str(detail),
                         warnings=tuple(warnings))

    if not row.extension or not row.license:
        return result(RowOutcome.MISSING_VALUE, _("Extension and licence are required."))
    if license is None:
        return result(RowOutcome.INVALID_LICENSE,
                      _("Unknown licence “%(license)s”; use monitor or record.")
                      % {"license": row.license})
    if action is None:
        return result(RowOutcome.INVALID_ACTION,
                      _("Unknown action “%(action)s”; use assign or revoke.")
                      % {"action": row.action})
    try:
        if action == CsvAction.ASSIGN:
            assignment = assign_license(actor=actor, tenant=tenant, extension=row.extension,
                                        license=license, reason=row.reason)
            user = assignment.pbx_user
            warnings = assignment_warnings(license=license, client_type=user.client_type,
                                           record_all_calls=user.record_all_calls,
                                           active=user.is_active)
            return result(RowOutcome.ASSIGNED, _("Assigned."),
                          [warning["detail"] for warning in warnings])
        revoke_license_of(actor=actor, tenant=tenant, extension=row.extension, license=license,
                          reason=row.reason)
        return result(RowOutcome.REVOKED, _("Revoked."))
    except LicensingError as exc:
        return result(exc.code, exc.detail)


def import_assignments_csv(*, actor, tenant, data: bytes, filename: str = "",
                           dry_run: bool = False) -> ImportResult:
    """Apply a bulk-assignment CSV row by row (format: ``licensing.csv_format``).

    Each row succeeds or fails on its own (a failed row changes nothing) and gets a stable
    outcome code (``choices.RowOutcome``); rows run in file order, so a file may revoke from one
    user before assigning to another. With ``dry_run`` every row is tried and everything is
    rolled back: the result says what would happen. Raises ``CsvFormatError`` when the file as
    a whole is unreadable. Audited per row (``license.assigned`` / ``license.revoked``) plus
    one ``license.bulk_imported`` summary.
    """
    rows = parse_csv(data)
    with transaction.atomic():
        results = tuple(_apply_row(actor=actor, tenant=tenant, row=row) for row in rows)
        outcome = ImportResult(rows=results, dry_run=dry_run, filename=filename)
        if dry_run:
            transaction.set_rollback(True)
        else:
            audit.record(actor=actor, tenant=tenant, action="license.bulk_imported",
                         object_type="licensing.csv", object_id=filename[:128],
                         data={"filename": filename, "rows": len(results),
                               "ok": outcome.ok_count, "failed": outcome.failed_count,
                               "outcomes": outcome.counts()})
    return outcome
