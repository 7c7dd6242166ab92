"""PBX node API of the legal-notice routing (``/api/pbx/v1/routing/...``, node token)."""

from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from hostedpbx.api.base import PbxNodeAPIView
from recordings.storage import ObjectMissing, get_store

from .. import selectors
from ..schema import EXPORT_SCHEMA
from .views import wav_response

AUDIO_LIMIT = 32 * 1024 * 1024


class PbxRoutingExportView(PbxNodeAPIView):
    """The tenant's published routings (JSON Schema at ``routing/schema/``). Send the last
    ``ETag`` in ``If-None-Match`` and get ``304 Not Modified`` while nothing was published."""

    @extend_schema(responses={200: dict, 304: None})
    def get(self, request):
        body = selectors.export_for(tenant=self.tenant)
        etag = selectors.export_etag(body)
        wanted = parse_etags(request.headers.get("If-None-Match", ""))
        response = Response(status=304) if etag in wanted or "*" in wanted else Response(body)
        response["ETag"] = etag
        response["Cache-Control"] = "no-cache"
        return response


class PbxRoutingSchemaView(PbxNodeAPIView):
    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response(EXPORT_SCHEMA)


class PbxRoutingAudioView(PbxNodeAPIView):
    """One announcement as telephony WAV (8 kHz mono 16-bit), by the id the export names."""

    @extend_schema(responses={(200, "audio/wav"): bytes})
    def get(self, request, audio_id):
        item = selectors.audio_for_tenant(tenant=self.tenant, audio_id=audio_id)
        try:
            data = get_store().read_small(item.storage_key, AUDIO_LIMIT)
        except ObjectMissing:
            from rest_framework.exceptions import NotFound

            raise NotFound(_("The audio is missing from storage.")) from None
        response = wav_response(request, data, filename=f"announcement-{item.language}.wav")
        response["ETag"] = f'"{item.sha256[:32]}"'
        return response
