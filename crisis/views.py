from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from .roles import ROLE_HOME


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        from django.conf import settings

        context = super().get_context_data(**kwargs)
        if self.request.GET.get("idle"):
            minutes = max(1, round(settings.SESSION_IDLE_SECONDS / 60))
            context["signed_out_idle"] = f"You were signed out after {minutes} minutes without activity."
        return context


LoginView = login_not_required(LoginView.as_view())

LOCKED_OUT = (
    "Too many failed sign-ins: this account is locked for {minutes} minutes. Try again later or ask an administrator."
)


def login_locked_out(request, response=None, credentials=None):
    """What a locked-out sign-in sees (django-axes' AXES_LOCKOUT_CALLABLE): the sign-in page, saying so."""
    from django.conf import settings
    from django.http import JsonResponse

    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    message = LOCKED_OUT.format(minutes=minutes)
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    context = {"locked_out": message, "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=429)


@require_GET
def home(request):
    role = request.user.role
    if role is None:
        return render(request, "no_role.html", status=403)
    return redirect(ROLE_HOME[role])


@require_POST
def session_keepalive(request):
    """The idle warning's "Stay signed in" (static/js/idle.js): this request is the activity."""
    request.session.mark_active(force=True)
    return HttpResponse(status=204)


@login_not_required
@require_GET
def healthz(request):
    from django.db import connection
    from django.http import JsonResponse

    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
