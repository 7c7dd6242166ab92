"""PBX node API of the recordings part (``/api/pbx/v1/``, bearer node token).

A node acts in its own tenant only: every lookup goes through the node's tenant, so another
tenant's ingest or call answers 404.

Calls the portal has not seen yet: a *valid* consent or end report creates the call (the PBX
may report the caller's objection before the recording arrives); an invalid report about an
unknown call answers 404, because there is nothing to validate it against.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from callrouting.services import record_consent_proof
from hostedpbx.api.base import PbxNodeAPIView
from hostedpbx.api.errors import conflict, drf_error_dict
from recordings import services
from recordings.choices import CONSENT_OUTCOMES, ConsentSource, IngestSource
from recordings.metadata import CALL_ID_RE, parse_aware_datetime, validate_metadata
from recordings.models import Call, Ingest

from .receiving import ReceivingMixin
from .serializers import (
    CallConsentSerializer,
    CallEndSerializer,
    ConsentReportSerializer,
    IngestAcceptedSerializer,
    PbxIngestSerializer,
    PushSerializer,
)

REPORT_SOURCES = (ConsentSource.PBX, ConsentSource.ROUTING)


class PushRecordingView(ReceivingMixin, PbxNodeAPIView):
    """Push one recording (multipart ``audio`` plus metadata). Answers 202 with the ingest's
    id as soon as the file is durable in staging; the same call and audio again answer the
    same ``ingest_id``. 400 with a code per bad field, 413 ``too_large``."""

    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": PushSerializer},
                   responses={202: IngestAcceptedSerializer})
    def post(self, request):
        upload, sha256, size = self.received_file(request)
        try:
            metadata = validate_metadata(request.data)
        except DjangoValidationError as exc:
            self.raise_errors(drf_error_dict(exc))
        self.raise_errors({})
        ingest, _created = services.receive_audio(
            tenant=self.tenant, source=IngestSource.PUSH, metadata=metadata,
            temp_path=upload.temporary_file_path(), sha256=sha256, size=size,
            original_name=upload.name, node=self.node,
        )
        return Response({"ingest_id": str(ingest.ingest_id), "status": ingest.status},
                        status=status.HTTP_202_ACCEPTED)


class PbxIngestView(PbxNodeAPIView):
    """Where a pushed recording is: ``queued``, ``processing``, ``stored``, ``rejected`` or
    ``quarantined``, with the reason code and the recording's id once stored."""

    @extend_schema(responses=PbxIngestSerializer)
    def get(self, request, ingest_id):
        ingest = Ingest.objects.for_actor(self.node, self.tenant).filter(
            ingest_id=ingest_id).first()
        if ingest is None:
            raise exceptions.NotFound("No such ingest.")
        return Response(PbxIngestSerializer(ingest).data)


class _CallReportView(PbxNodeAPIView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def known_call(self, call_id):
        if not CALL_ID_RE.match(call_id):
            raise exceptions.NotFound("No such call.")
        return Call.unscoped.filter(tenant=self.tenant, call_id=call_id).first()

    def call_details(self, data, errors):
        """Optional call fields of a report, validated like push metadata."""
        known = {k: data.get(k) for k in ("extension", "direction", "remote_number",
                                          "local_number", "started_at") if data.get(k)}
        try:
            return services.call_details(validate_metadata(known, required=()))
        except DjangoValidationError as exc:
            errors.update(drf_error_dict(exc))
            return {}

    def refuse(self, call, errors):
        if not errors:
            return
        if call is None:
            raise exceptions.NotFound(
                "No such call. A report about a call the portal has not seen yet creates it, "
                "but only when the report is valid.")
        raise serializers.ValidationError(errors)


class CallConsentView(_CallReportView):
    """The caller's consent outcome (``notified``, ``consented``, ``objected``,
    ``no_input``). ``objected`` is final and discards the call's audio, stored or coming."""

    @extend_schema(request=ConsentReportSerializer, responses=CallConsentSerializer)
    def post(self, request, call_id):
        call = self.known_call(call_id)
        data = request.data
        errors: dict = {}
        outcome = str(data.get("outcome", "")).strip()
        if not outcome:
            errors["outcome"] = [ErrorDetail("This field is required.", code="required")]
        elif outcome not in CONSENT_OUTCOMES:
            errors["outcome"] = [ErrorDetail("One of: " + ", ".join(CONSENT_OUTCOMES) + ".",
                                             code="invalid_choice")]
        source = str(data.get("source", "") or ConsentSource.PBX).strip()
        if source not in REPORT_SOURCES:
            errors["source"] = [ErrorDetail("One of: pbx, routing.", code="invalid_choice")]
        at = None
        if data.get("at"):
            try:
                at = parse_aware_datetime(data.get("at"), "at")
            except DjangoValidationError as exc:
                errors["at"] = [ErrorDetail(" ".join(exc.messages), code=exc.code)]
        details = self.call_details(data, errors)
        self.refuse(call, errors)
        # What the caller heard and pressed (legal-notice routing), kept with the report.
        proof = {k: data.get(k) for k in ("routing_version", "language", "key")
                 if data.get(k) not in (None, "")}
        try:
            with transaction.atomic():
                call, _changed = services.report_consent(
                    actor=self.node, tenant=self.tenant, call_id=call_id, outcome=outcome,
                    source=source, set_by=f"node:{self.node.name}",
                    note=str(data.get("note", ""))[:500], at=at, details=details)
                if proof:
                    record_consent_proof(actor=self.node, tenant=self.tenant, call=call,
                                         outcome=outcome, reported_at=at, **proof)
        except services.ConsentFinal as exc:
            raise conflict("consent_final", str(exc))
        return Response(CallConsentSerializer(call).data)


class CallEndView(_CallReportView):
    """The end of a call (``ended_at``, ISO 8601 with offset; optional call fields)."""

    @extend_schema(request=CallEndSerializer, responses=CallConsentSerializer)
    def post(self, request, call_id):
        call = self.known_call(call_id)
        data = request.data
        errors: dict = {}
        ended_at = None
        if not data.get("ended_at"):
            errors["ended_at"] = [ErrorDetail("This field is required.", code="required")]
        else:
            try:
                ended_at = parse_aware_datetime(data.get("ended_at"), "ended_at")
            except DjangoValidationError as exc:
                errors["ended_at"] = [ErrorDetail(" ".join(exc.messages), code=exc.code)]
        details = self.call_details(data, errors)
        self.refuse(call, errors)
        call = services.end_call(actor=self.node, tenant=self.tenant, call_id=call_id,
                                 ended_at=ended_at, details=details)
        return Response(CallConsentSerializer(call).data)
