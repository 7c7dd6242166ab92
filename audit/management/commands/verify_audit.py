from django.core.management.base import BaseCommand, CommandError

from audit.chain import verify
from audit.selectors import remember_verification
from tenancy.models import Tenant


class Command(BaseCommand):
    help = ("Verify the audit hash chains. Prints 'OK <n> events' and exits 0 when intact; "
            "otherwise names the first bad event and exits 1.")

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="verify only this tenant's chain (slug)")

    def handle(self, tenant=None, **options):
        scope = None
        if tenant:
            scope = Tenant.objects.filter(slug=tenant).first()
            if scope is None:
                raise CommandError(f"No tenant {tenant!r}")
        result = verify(scope)
        if scope is not None:
            remember_verification(scope, result)
        if result.ok:
            self.stdout.write(result.message())
            return
        self.stderr.write(result.message())
        raise SystemExit(1)
