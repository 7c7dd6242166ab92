"""factory-boy factories. Tests may write models directly; the product code goes through
services."""

import factory
from django.contrib.auth import get_user_model

from tenancy.choices import ClientType, Role
from tenancy.models import Membership, PbxNode, PbxUser, Tenant, hash_token

PASSWORD = "correct horse battery staple"


class ModelFactory(factory.django.DjangoModelFactory):
    """Uses the model's default (``unscoped``) manager: ``objects`` demands an actor."""

    class Meta:
        abstract = True

    @classmethod
    def _get_manager(cls, model_class):
        return model_class._default_manager


class TenantFactory(ModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"tenant-{n}")
    name = factory.LazyAttribute(lambda o: f"{o.slug.title()} GmbH")


class UserFactory(ModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class PbxUserFactory(ModelFactory):
    class Meta:
        model = PbxUser
        django_get_or_create = ("tenant", "extension")

    tenant = factory.SubFactory(TenantFactory)
    extension = factory.Sequence(lambda n: str(100 + n))
    display_name = factory.Faker("name", locale="de_DE")
    client_type = ClientType.SOFTPHONE_USB


class MembershipFactory(ModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class PbxNodeFactory(ModelFactory):
    """``node.plain_token`` carries the bearer token for tests."""

    class Meta:
        model = PbxNode

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"node{n}")
    token_hash = ""
    token_prefix = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        token = PbxNode.new_token()
        kwargs["token_hash"] = hash_token(token)
        kwargs["token_prefix"] = token[:10]
        node = super()._create(model_class, *args, **kwargs)
        node.plain_token = token
        return node
