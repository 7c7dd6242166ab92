import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenancy import services
from tenancy.choices import Role
from tenancy.models import PbxUser, Tenant


class Command(BaseCommand):
    help = ("Create a portal account (or reuse an existing one) with a role in a tenant. "
            "The password comes from --password or from standard input.")

    def add_arguments(self, parser):
        parser.add_argument("slug", help="tenant slug")
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--extension", help="link the account to this PBX user")
        parser.add_argument("--password")
        parser.add_argument("--email", default="")

    def handle(self, slug, username, role, extension, password, email, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant {slug!r}")
        pbx_user = None
        if extension:
            pbx_user = PbxUser.unscoped.filter(tenant=tenant, extension=extension).first()
            if pbx_user is None:
                raise CommandError(f"No PBX user with extension {extension} in {slug}")
        if password is None:
            if sys.stdin is None or sys.stdin.isatty():
                import getpass

                password = getpass.getpass("Password: ")
            else:
                password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise CommandError("A password is required (--password or standard input).")
        try:
            membership = services.create_portal_user(
                actor=None, tenant=tenant, username=username, password=password, role=role,
                pbx_user=pbx_user, email=email, validate_password=True,
            )
        except ValidationError as exc:
            raise CommandError(str(exc))
        self.stdout.write(f"{membership.user.username} is {membership.role} of {tenant.slug}")
