from tenancy.models import Membership


def build(*, tenant, node, admin):
    return {"membership_id": Membership.unscoped.get(tenant=tenant, user=admin).pk}
