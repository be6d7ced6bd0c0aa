from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page requires sign-in by default (Django 5.1's middleware).

    The API is left to DRF, which answers 401/403 in JSON instead of a
    redirect and also accepts token authentication for integrations.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class AuditContextMiddleware:
    """Makes the client's address available to crisis.audit.record."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .audit import current_ip

        token = current_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
