import os

from django.core.management.base import BaseCommand, CommandError

from audit.chain import verify
from audit.selectors import remember_verification
from tenancy.models import Tenant


class Command(BaseCommand):
    help = ("Verify the audit hash chains. Prints 'OK <n> events' and exits 0 when intact; "
            "otherwise names the first bad event and exits 1.")

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="verify only this tenant's chain (slug)")
        parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                            help="processes for long chains on PostgreSQL (default: CPUs)")

    def handle(self, tenant=None, workers=1, **options):
        scope = None
        if tenant:
            scope = Tenant.objects.filter(slug=tenant).first()
            if scope is None:
                raise CommandError(f"No tenant {tenant!r}")
        result = verify(scope, workers=max(1, workers))
        if scope is not None:
            remember_verification(scope, result)
        if result.ok:
            self.stdout.write(result.message())
            return
        self.stderr.write(result.message())
        raise SystemExit(1)
