"""PBX node API of the recordings part (``/api/pbx/v1/``, bearer node token).

A node acts in its own tenant only: every lookup goes through the node's tenant, so another
tenant's ingest or call answers 404. Each view validates its body with its serializer.

Calls the portal has not seen yet: a *valid* consent or end report creates the call (the PBX
may report the caller's objection before the recording arrives); an invalid report about an
unknown call answers 404, because there is nothing to validate it against.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from callrouting.services import record_consent_proof
from hostedpbx.api.base import PbxNodeAPIView
from hostedpbx.api.errors import ApiError, conflict, field_errors
from recordings import consent
from recordings.ingest.express import receive_push
from recordings.metadata import CALL_ID_RE
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


class PushRecordingView(ReceivingMixin, PbxNodeAPIView):
    """Push one recording (multipart ``audio`` plus metadata). Answers 202 with the ingest's
    id once the push is durable: ``stored`` when the express lane kept it in the request
    (``recordings.ingest.express``), ``queued`` when it waits for the pipeline in staging; the
    same call and audio again answer the same ``ingest_id``. 400 with a code per bad field,
    413 ``too_large``."""

    @extend_schema(request={"multipart/form-data": PushSerializer},
                   responses={202: IngestAcceptedSerializer})
    def post(self, request):
        upload, sha256, size = self.received_file(request)
        body = PushSerializer(data=request.data)
        if not body.is_valid():
            self.raise_errors(body.errors)
        self.raise_errors({})
        metadata = body.validated_data
        ingest, _created = receive_push(
            tenant=self.tenant, metadata=metadata,
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
            raise exceptions.NotFound(_("No such ingest."))
        return Response(PbxIngestSerializer(ingest).data)


class _CallReportView(PbxNodeAPIView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    serializer_class = None

    def report(self, request, call_id):
        """The validated report; 404 for an invalid report about an unknown call."""
        if not CALL_ID_RE.match(call_id) or call_id.startswith("portal:"):
            raise exceptions.NotFound(_("No such call."))
        known = Call.unscoped.filter(tenant=self.tenant, call_id=call_id).exists()
        body = self.serializer_class(data=request.data)
        if not body.is_valid():
            if not known:
                # Still 404 (there is no such call), with what the report got wrong.
                raise ApiError("not_found", _(
                    "No such call. A report about a call the portal has not seen yet creates "
                    "it, but only when the report is valid."), status=404,
                    errors=field_errors(body.errors))
            raise serializers.ValidationError(body.errors)
        return body


class CallConsentView(_CallReportView):
    """The caller's consent outcome (``notified``, ``consented``, ``objected``,
    ``no_input``). ``objected`` is final and discards the call's audio, stored or coming."""

    serializer_class = ConsentReportSerializer

    @extend_schema(request=ConsentReportSerializer, responses=CallConsentSerializer)
    def post(self, request, call_id):
        body = self.report(request, call_id)
        data = body.validated_data
        # What the caller heard and pressed (legal-notice routing), kept with the report.
        proof = {k: data[k] for k in ("routing_version", "language", "key")
                 if data.get(k) not in (None, "")}
        try:
            with transaction.atomic():
                call, _changed = consent.report_consent(
                    actor=self.node, tenant=self.tenant, call_id=call_id,
                    outcome=data["outcome"], source=data["source"],
                    set_by=f"node:{self.node.name}", note=data.get("note", ""),
                    at=data.get("at"), details=consent.call_details(body.call_details()))
                if proof:
                    record_consent_proof(actor=self.node, tenant=self.tenant, call=call,
                                         outcome=data["outcome"], reported_at=data.get("at"),
                                         **proof)
        except consent.ConsentFinal as exc:
            raise conflict("consent_final", str(exc))
        return Response(CallConsentSerializer(call).data)


class CallEndView(_CallReportView):
    """The end of a call (``ended_at``, ISO 8601 with offset; optional call fields)."""

    serializer_class = CallEndSerializer

    @extend_schema(request=CallEndSerializer, responses=CallConsentSerializer)
    def post(self, request, call_id):
        body = self.report(request, call_id)
        call = consent.end_call(actor=self.node, tenant=self.tenant, call_id=call_id,
                                ended_at=body.validated_data["ended_at"],
                                details=consent.call_details(body.call_details()))
        return Response(CallConsentSerializer(call).data)
