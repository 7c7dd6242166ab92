"""Demo data of the tenancy part: two tenants, an account of every role, realistic PBX users.

``seed_demo`` runs the ``demo.seed(...)`` of each part in app order; each must be idempotent.
"""

from tenancy import services
from tenancy.choices import ClientType, Role
from tenancy.models import PbxNode, PbxUser, Tenant

DEMO_PASSWORD = "demo-pbx-2026"

TENANTS = [
    {
        "slug": "muster",
        "name": "Muster Kommunikation GmbH",
        "users": [
            ("201", "Anna Schneider", ClientType.SOFTPHONE_USB),
            ("202", "Jonas Weber", ClientType.SOFTPHONE_USB),
            ("203", "Lea Fischer", ClientType.SOFTPHONE_CTI),
            ("204", "Mehmet Yılmaz", ClientType.SOFTPHONE_USB),
            ("205", "Sophie Wagner", ClientType.DESKPHONE),
            ("210", "Thomas Becker", ClientType.SOFTPHONE_USB),
            ("211", "Katharina Hoffmann", ClientType.SOFTPHONE_USB),
            ("220", "Empfang Zentrale", ClientType.DESKPHONE),
        ],
        # username suffix, role, extension
        "accounts": [
            ("admin", Role.ADMIN, None),
            ("compliance", Role.COMPLIANCE, None),
            ("supervisor", Role.SUPERVISOR, "210"),
            ("agent", Role.MEMBER, "201"),
        ],
    },
    {
        "slug": "nordlicht",
        "name": "Nordlicht Versicherungen AG",
        "users": [
            ("3101", "Finn Hansen", ClientType.SOFTPHONE_USB),
            ("3102", "Merle Petersen", ClientType.SOFTPHONE_USB),
            ("3103", "Ole Jensen", ClientType.SOFTPHONE_CTI),
            ("3104", "Ida Christiansen", ClientType.DESKPHONE),
            ("3110", "Birte Nielsen", ClientType.SOFTPHONE_USB),
        ],
        "accounts": [
            ("admin", Role.ADMIN, None),
            ("compliance", Role.COMPLIANCE, None),
            ("supervisor", Role.SUPERVISOR, "3110"),
            ("agent", Role.MEMBER, "3101"),
        ],
    },
]

# One account in both tenants shows the tenant switcher.
CONSULTANT = ("berater", Role.ADMIN)


def seed(*, stdout, logins):
    """Create what is missing; ``logins`` collects (username, password, description)."""
    for spec in TENANTS:
        tenant = Tenant.objects.filter(slug=spec["slug"]).first()
        if tenant is None:
            tenant = services.create_tenant(actor=None, slug=spec["slug"], name=spec["name"])
            stdout.write(f"  tenant {tenant.slug}")
        for extension, name, client_type in spec["users"]:
            if not PbxUser.unscoped.filter(tenant=tenant, extension=extension).exists():
                services.create_pbx_user(actor=None, tenant=tenant, extension=extension,
                                         display_name=name, client_type=client_type)
        if not PbxNode.unscoped.filter(tenant=tenant, name="pbx1").exists():
            services.create_pbx_node(actor=None, tenant=tenant, name="pbx1")
        for suffix, role, extension in spec["accounts"]:
            pbx_user = (PbxUser.unscoped.get(tenant=tenant, extension=extension)
                        if extension else None)
            username = f"{spec['slug']}.{suffix}"
            services.create_portal_user(actor=None, tenant=tenant, username=username,
                                        password=DEMO_PASSWORD, role=role, pbx_user=pbx_user)
            logins.append((username, DEMO_PASSWORD, f"{role.label}, {tenant.name}"))
        services.create_portal_user(actor=None, tenant=tenant, username=CONSULTANT[0],
                                    password=DEMO_PASSWORD, role=CONSULTANT[1])
    logins.append((CONSULTANT[0], DEMO_PASSWORD, "Administrator in both tenants"))
