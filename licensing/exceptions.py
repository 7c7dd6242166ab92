"""Domain errors of the licensing services, each with a stable ``code`` and an HTTP status.

Views map them to ``hostedpbx.api.errors.ApiError`` (see ``licensing.api.views``); the CSV
import uses the same codes per row.
"""


class LicensingError(Exception):
    code = "licensing_error"
    status = 409

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = str(detail)


class PoolExhausted(LicensingError):
    """No licence of this type left: pool used up, expired, not yet valid or never bought."""

    code = "pool_exhausted"


class AlreadyAssigned(LicensingError):
    code = "already_assigned"


class AlreadyRevoked(LicensingError):
    code = "already_revoked"


class NotAssigned(LicensingError):
    code = "not_assigned"


class PbxUserInactive(LicensingError):
    code = "pbx_user_inactive"


class UnknownExtension(LicensingError):
    code = "unknown_extension"
    status = 400


class InvalidLicense(LicensingError):
    code = "invalid_license"
    status = 400
