from django.core.management.base import BaseCommand, CommandError

from audit.checkpoints import write_all
from audit.signing import public_key_b64
from tenancy.models import Tenant


class Command(BaseCommand):
    help = ("Sign and write the current audit chain heads now, as the periodic task does. "
            "Checkpoints live in the recordings bucket under audit-checkpoints/<tenant slug>/.")

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="only this tenant's chain (slug)")

    def handle(self, tenant=None, **options):
        scope = None
        if tenant:
            scope = Tenant.objects.filter(slug=tenant).first()
            if scope is None:
                raise CommandError(f"No tenant {tenant!r}")
        written = write_all(scope)
        for checkpoint in written:
            lock = ""
            if checkpoint.locked_until:
                lock = f" locked until {checkpoint.locked_until:%Y-%m-%d}"
            self.stdout.write(f"{checkpoint.chain} seq {checkpoint.seq} -> "
                              f"{checkpoint.storage_key}{lock}")
        self.stdout.write(f"{len(written)} checkpoints written; public key {public_key_b64()}")
