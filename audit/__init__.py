"""The audit trail. Call ``audit.record(...)`` inside the transaction of every change."""


def record(**kwargs):
    from .chain import record as _record

    return _record(**kwargs)


def record_now(**kwargs):
    from .chain import record_now as _record_now

    return _record_now(**kwargs)
