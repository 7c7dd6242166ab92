from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenancy import services


class Command(BaseCommand):
    help = "Create a tenant (customer)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--locale", default="de", choices=["de", "en"])
        parser.add_argument("--timezone", default="Europe/Berlin")

    def handle(self, slug, name, locale, timezone, **options):
        try:
            tenant = services.create_tenant(actor=None, slug=slug, name=name, locale=locale,
                                            timezone=timezone)
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            )
        self.stdout.write(f"Created tenant {tenant.slug} ({tenant.name})")
