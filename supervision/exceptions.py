"""Domain errors of the supervision services, each with a stable ``code`` and an HTTP status."""


class SupervisionError(Exception):
    code = "supervision_error"
    status = 409

    def __init__(self, detail: str, **extra):
        super().__init__(detail)
        self.detail = str(detail)
        self.extra = extra


class UnknownExtension(SupervisionError):
    code = "unknown_extension"
    status = 400

    def __init__(self, detail: str, field: str = "extension"):
        super().__init__(detail)
        self.field = field


class SelfGrant(SupervisionError):
    code = "self_monitoring"
    status = 400


class InvalidWindow(SupervisionError):
    code = "invalid_window"
    status = 400


class AlreadyGranted(SupervisionError):
    code = "already_granted"


class AlreadyRevoked(SupervisionError):
    code = "already_revoked"


class SessionEnded(SupervisionError):
    code = "session_ended"


class NotInSession(SupervisionError):
    code = "not_in_session"


class JoinRefused(SupervisionError):
    code = "join_refused"


class InvalidKey(SupervisionError):
    code = "invalid_key"
    status = 400
