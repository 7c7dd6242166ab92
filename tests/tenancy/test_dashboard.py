"""The overview shows each part's figures, as far as the role may see them."""

import pytest


@pytest.mark.django_db
def test_admin_sees_licences_accounts_and_audit_tiles(web, admin_a, tenant_a, agent_ext_a):
    from licensing import services

    services.set_license_pool(actor=None, tenant=tenant_a, license="monitor", quantity=3)
    services.assign_license(actor=None, tenant=tenant_a, license="monitor", extension="201")
    page = web(admin_a).get(f"/t/{tenant_a.slug}/").content.decode()
    assert "Monitor-Lizenzen frei" in page and "1 von 3 belegt" in page
    assert "Portal-Konten" in page and "Audit-Ereignisse (24 h)" in page


@pytest.mark.django_db
def test_agent_sees_own_extension_but_no_audit_or_accounts(web, agent_a, tenant_a):
    page = web(agent_a).get(f"/t/{tenant_a.slug}/").content.decode()
    assert "Ihre Durchwahl" in page and "201" in page
    assert "Portal-Konten" not in page and "Audit-Ereignisse" not in page
