from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenancy import services
from tenancy.models import Tenant


class Command(BaseCommand):
    help = "Create a PBX node of a tenant; prints its API token (shown only once) last."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="tenant slug")
        parser.add_argument("node", help="node name")

    def handle(self, slug, node, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant {slug!r}")
        try:
            pbx_node, token = services.create_pbx_node(actor=None, tenant=tenant, name=node)
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            )
        self.stdout.write(f"Created PBX node {pbx_node}. Its API token (store it now):")
        self.stdout.write(token)
