def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"current_role": None}
    return {"current_role": user.role}


def session_idle(request):
    from django.conf import settings

    return {"session_idle_seconds": settings.SESSION_IDLE_SECONDS}
