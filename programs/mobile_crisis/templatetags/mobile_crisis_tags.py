from django import template

register = template.Library()


@register.filter
def due_clock(follow_up, now) -> str:
    return follow_up.due_clock(now)
