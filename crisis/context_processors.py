def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"current_role": None}
    return {"current_role": user.role}
