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


# --- recordings and licences ----------------------------------------------------------------
def _digest(n) -> str:
    import hashlib

    return hashlib.sha256(f"audio-{n}".encode()).hexdigest()


class CallFactory(ModelFactory):
    class Meta:
        model = "recordings.Call"
        django_get_or_create = ("tenant", "call_id")

    tenant = factory.SubFactory(TenantFactory)
    call_id = factory.Sequence(lambda n: f"call-{n}")
    extension = "201"
    direction = "inbound"
    remote_number = "+49301234567"
    remote_number_raw = "030 1234567"
    started_at = factory.LazyFunction(lambda: _now() - _minutes(10))


class IngestFactory(ModelFactory):
    """An ingest as the pipeline leaves it (``stored`` by default; no staged bytes)."""

    class Meta:
        model = "recordings.Ingest"

    tenant = factory.SubFactory(TenantFactory)
    source = "push"
    call_id = factory.Sequence(lambda n: f"call-{n}")
    extension = "201"
    sha256 = factory.Sequence(_digest)
    size = 100
    status = "stored"
    metadata = factory.LazyFunction(dict)


class RecordingFactory(ModelFactory):
    """A stored recording with its call and ingest (no audio object: for lists and access)."""

    class Meta:
        model = "recordings.Recording"
        exclude = ("started",)
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    extension = "201"
    started = factory.LazyFunction(lambda: _now() - _minutes(10))
    call = factory.SubFactory(
        CallFactory, tenant=factory.SelfAttribute("..tenant"),
        extension=factory.SelfAttribute("..extension"),
        direction=factory.SelfAttribute("..direction"),
        started_at=factory.SelfAttribute("..started"),
        consent=factory.SelfAttribute("..consent"))
    pbx_call_id = factory.SelfAttribute("call.call_id")
    ingest = factory.SubFactory(
        IngestFactory, tenant=factory.SelfAttribute("..tenant"),
        call_id=factory.SelfAttribute("..call.call_id"),
        extension=factory.SelfAttribute("..extension"), sha256=factory.SelfAttribute("..sha256"))
    started_at = factory.SelfAttribute("started")
    direction = "inbound"
    remote_number = "+49301234567"
    remote_number_raw = "030 1234567"
    duration = 60.0
    kind = "auto"
    consent = "unknown"
    sha256 = factory.Sequence(_digest)
    size = 100
    codec = "pcm_s16le"
    container = "wav"
    sample_rate = 8000
    channels = 1
    peaks = factory.LazyFunction(lambda: [0.1, 0.5])
    storage_key = factory.LazyAttribute(
        lambda o: f"tenants/{o.tenant.pk}/recordings/{o.started:%Y}/{o.started:%m}/"
                  f"{o.ingest.ingest_id}.wav")

    @factory.post_generation
    def link_ingest(obj, create, extracted, **kwargs):
        if create:
            type(obj.ingest)._default_manager.filter(pk=obj.ingest.pk).update(recording=obj)


class LicenceFactory(ModelFactory):
    """A licence held by ``pbx_user`` since a day ago (``assigned_at``/``revoked_at`` to
    change)."""

    class Meta:
        model = "licensing.LicenseAssignment"

    pbx_user = factory.SubFactory(PbxUserFactory)
    tenant = factory.SelfAttribute("pbx_user.tenant")
    license = "monitor"
    assigned_at = factory.LazyFunction(lambda: _now() - _minutes(24 * 60))
    revoked_at = None


def _now():
    from django.utils import timezone

    return timezone.now()


def _minutes(n):
    import datetime

    return datetime.timedelta(minutes=n)
