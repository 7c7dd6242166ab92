"""PBX node API of this part, under /api/pbx/v1/."""

urlpatterns: list = []
