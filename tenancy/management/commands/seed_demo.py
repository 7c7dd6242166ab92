from django.core.management.base import BaseCommand

from hostedpbx.parts import part_modules


class Command(BaseCommand):
    help = ("Create the demo tenants, accounts and data of every part (idempotent) and print "
            "the demo logins.")

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true",
                            help="do not print the login table")

    def handle(self, quiet_logins=False, **options):
        logins: list = []
        self.stdout.write("Seeding demo data ...")
        for module in part_modules("demo"):
            module.seed(stdout=self.stdout, logins=logins)
        if quiet_logins:
            return
        self.stdout.write("")
        self.stdout.write("Demo logins (username / password):")
        seen = set()
        for username, password, description in logins:
            if username in seen:
                continue
            seen.add(username)
            self.stdout.write(f"  {username:<22} {password:<16} {description}")
