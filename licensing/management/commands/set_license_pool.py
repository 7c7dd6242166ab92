import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from licensing import services
from licensing.choices import License
from licensing.models import LicensePool
from licensing.selectors import pool_usage
from tenancy.models import Tenant

CLEAR = {"none", "-", ""}


def _date_or_clear(value):
    if value is None or value.strip().lower() in CLEAR:
        return value
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}")
    return value


class Command(BaseCommand):
    help = ("Set a tenant's pool of Monitor or Record licences (quantity and validity; audited). "
            "Dates not given keep their current value; 'none' clears one.")

    def add_arguments(self, parser):
        parser.add_argument("slug", help="tenant slug")
        parser.add_argument("license", choices=License.values)
        parser.add_argument("quantity", type=int)
        parser.add_argument("--valid-from", type=_date_or_clear,
                            help="first valid day, YYYY-MM-DD ('none' clears)")
        parser.add_argument("--valid-until", type=_date_or_clear,
                            help="last valid day, YYYY-MM-DD ('none' clears)")

    def handle(self, slug, license, quantity, valid_from, valid_until, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant {slug!r}")
        current = LicensePool.unscoped.filter(tenant=tenant, license=license).first()

        def pick(given, existing):
            if given is None:
                return existing
            return None if given.strip().lower() in CLEAR else given

        try:
            services.set_license_pool(
                actor=None, tenant=tenant, license=license, quantity=quantity,
                valid_from=pick(valid_from, current.valid_from if current else None),
                valid_until=pick(valid_until, current.valid_until if current else None),
            )
        except ValidationError as exc:
            raise CommandError("; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()))
        usage = next(u for u in pool_usage(tenant=tenant) if u.license == license)
        validity = []
        if usage.valid_from:
            validity.append(f"from {usage.valid_from.isoformat()}")
        if usage.valid_until:
            validity.append(f"until {usage.valid_until.isoformat()}")
        self.stdout.write(
            f"{tenant.slug}: {license} × {usage.quantity} (in use {usage.used}, available "
            f"{usage.available}, {usage.status}{', ' if validity else ''}{' '.join(validity)})")
