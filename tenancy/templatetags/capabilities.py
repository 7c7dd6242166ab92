"""``{% load capabilities %}{% if membership|may:"KEEP_RECORDINGS" %}``: templates ask for a
capability of tenancy/permissions.py by name instead of comparing roles."""

from django import template

from tenancy import permissions

register = template.Library()


@register.filter
def may(membership, capability_name: str) -> bool:
    return permissions.may(permissions.by_name(capability_name), membership)
