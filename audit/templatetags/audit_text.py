"""Template filters for what the audit part records: ``{{ grant.created_by|actor }}`` shows the
system actor as "System" in the reader's language and every other actor as recorded."""

from django import template

from audit.details import actor_text

register = template.Library()


@register.filter
def actor(label) -> str:
    return actor_text(str(label or ""))
