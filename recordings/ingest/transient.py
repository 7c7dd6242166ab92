"""Which failures go away by waiting (storage, database or broker unreachable)."""

from __future__ import annotations

import errno

from botocore import exceptions as boto
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as KombuOperationalError

TRANSIENT_S3_CODES = frozenset({
    "SlowDown", "RequestTimeout", "Throttling", "ThrottlingException", "InternalError",
    "ServiceUnavailable", "RequestTimeTooSkewed",
})
TRANSIENT_BOTO = (boto.ConnectionError, boto.HTTPClientError, boto.ReadTimeoutError,
                  boto.ConnectTimeoutError, boto.ResponseStreamingError,
                  boto.IncompleteReadError)


class TransientIngestError(Exception):
    """A temporary failure; the ingest was released to ``queued`` and should be retried."""


def is_transient(exc: BaseException | None) -> bool:
    """Is ``exc`` (or what caused it) a failure that goes away by waiting?"""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OperationalError | InterfaceError | KombuOperationalError):
            return True
        if isinstance(exc, TRANSIENT_BOTO):
            return True
        if isinstance(exc, boto.ClientError):
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            code = str(exc.response.get("Error", {}).get("Code", ""))
            return status >= 500 or status == 429 or code in TRANSIENT_S3_CODES
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
