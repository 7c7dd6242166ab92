"""Every API error as ``{"code", "detail"}`` with a stable code.

Validation errors (from serializers, and Django ``ValidationError`` raised by services) add
``errors``: ``{field: [{"code", "detail"}]}``; the top-level ``code`` and
``detail`` are those of the first field error, so a client handling one field at a time needs
nothing else.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApiError(exceptions.APIException):
    """Raise with a stable ``code``: ``raise ApiError("pool_exhausted", "...", status=409)``."""

    def __init__(self, code, detail, status=status.HTTP_400_BAD_REQUEST, **extra):
        self.status_code = status
        self.code = code
        self.extra = extra
        super().__init__(detail=detail, code=code)


def conflict(code, detail, **extra):
    return ApiError(code, detail, status=status.HTTP_409_CONFLICT, **extra)


def _flatten(detail, prefix=""):
    """``[(field, code, message)]`` from DRF's nested ErrorDetail structures."""
    out = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = key if not prefix else f"{prefix}.{key}"
            out.extend(_flatten(value, name))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                out.extend(_flatten(value, f"{prefix}[{index}]" if prefix else str(index)))
            else:
                out.extend(_flatten(value, prefix))
    else:
        out.append((prefix or "non_field_errors", getattr(detail, "code", "invalid"), str(detail)))
    return out


def field_errors(detail) -> dict:
    """``{field: [{code, detail}]}`` from DRF's error details (a serializer's ``errors``), as
    the body of a validation error carries them."""
    errors: dict = {}
    for field, code, message in _flatten(detail):
        errors.setdefault(field, []).append({"code": code, "detail": message})
    return errors


def drf_error_dict(exc: DjangoValidationError) -> dict:
    """``{field: [ErrorDetail(message, code)]}`` from a Django ``ValidationError`` (as services
    raise them), keeping each error's code."""
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": [ErrorDetail(m, code=exc.code or "invalid")
                                     for m in exc.messages]}
    return {
        field: [ErrorDetail(" ".join(error.messages), code=error.code or "invalid")
                for error in errors]
        for field, errors in exc.error_dict.items()
    }


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        # A service refused the input: the same 400 body as a serializer's refusal.
        exc = exceptions.ValidationError(drf_error_dict(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        body = {"code": exc.code, "detail": str(exc.detail), **exc.extra}
    elif isinstance(exc, exceptions.ValidationError):
        items = _flatten(exc.detail)
        errors = field_errors(exc.detail)
        first_field, first_code, first_message = items[0] if items else ("", "invalid", "")
        detail = first_message if first_field == "non_field_errors" else (
            f"{first_field}: {first_message}"
        )
        body = {"code": first_code, "detail": detail, "errors": errors}
    else:
        detail = exc.detail if hasattr(exc, "detail") else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = {"code": str(code), "detail": str(detail)}
    return Response(body, status=response.status_code, headers=_headers(response, exc))


def _headers(response, exc=None):
    headers = {k: v for k, v in response.items()
               if k in ("WWW-Authenticate", "Retry-After", "Allow")}
    retry_after = getattr(exc, "extra", {}).get("retry_after")
    if retry_after is not None:
        headers["Retry-After"] = str(int(retry_after))
    return headers
