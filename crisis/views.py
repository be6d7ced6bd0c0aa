from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from . import mfa as mfa_service
from . import passwords
from .roles import ROLE_HOME


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.GET.get("idle"):
            minutes = max(1, round(settings.SESSION_IDLE_SECONDS / 60))
            context["signed_out_idle"] = f"You were signed out after {minutes} minutes without activity."
        if self.request.GET.get("password_changed"):
            context["password_changed"] = "Your password is changed. Sign in with the new one."  # noqa: S105
        return context


LoginView = login_not_required(LoginView.as_view())

LOCKED_OUT = (
    "Too many failed sign-ins: this account is locked for {minutes} minutes. Try again later or ask an administrator."
)

ADDRESS_THROTTLED = (
    "Too many failed sign-ins from this network: sign-in from here is paused for up to {minutes} minutes."
    " Ask an administrator if this is your dispatch centre."
)


def login_locked_out(request, response=None, credentials=None):
    """What a locked-out sign-in sees (django-axes' AXES_LOCKOUT_CALLABLE): the sign-in page, saying so."""
    from django.conf import settings
    from django.http import JsonResponse

    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    message = LOCKED_OUT.format(minutes=minutes)
    if getattr(request, "crisis_address_throttled", False):
        minutes = max(1, round(settings.LOGIN_IP_WINDOW.total_seconds() / 60))
        message = ADDRESS_THROTTLED.format(minutes=minutes)
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


def _next_or_home(request) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return target


def _mfa_error(user, hint: str) -> str:
    wait = mfa_service.mfa_wait_seconds(user)
    # One slip costs a second nobody notices; say so only once the wait is long enough to matter.
    if wait >= 2:
        unit = "second" if wait == 1 else "seconds"
        return f"That code did not match. Too many tries: wait {wait} {unit}, then enter the newest code."
    return f"That code did not match. {hint}"


def mfa(request):
    """Two-step sign-in after the password: enrol an authenticator app the first time, else enter its code."""
    user = request.user
    if not mfa_service.mfa_required_for(user) or user.is_verified():
        return redirect(_next_or_home(request))
    context = {"next": _next_or_home(request), "hide_nav": True}
    token = request.POST.get("token", "") if request.method == "POST" else ""
    if not mfa_service.mfa_enrolled(user):
        device = mfa_service.mfa_enrol_start(user=user)
        if request.method == "POST":
            codes = mfa_service.mfa_enrol_confirm(request=request, device=device, token=token)
            if codes is not None:
                return render(request, "registration/mfa_codes.html", context | {"codes": codes})
            context["error"] = _mfa_error(user, "Check the time on your phone and enter the newest code.")
        context |= {"qr": mfa_service.qr_svg(device), "secret": mfa_service.secret_text(device)}
        return render(request, "registration/mfa_enrol.html", context, status=400 if token else 200)
    if request.method == "POST":
        if mfa_service.mfa_verify(request=request, token=token):
            return redirect(context["next"])
        context["error"] = _mfa_error(user, "Enter the newest code from your app, or a recovery code.")
    return render(request, "registration/mfa_verify.html", context, status=400 if token else 200)


PASSWORD_REASONS = {
    passwords.SET_BY_ADMINISTRATOR: "An administrator set your password. Choose your own before you go on.",
    passwords.EXPIRED: "Your password is too old. Choose a new one before you go on.",
}


def password_change(request):
    """Choose a new password: forced after an administrator set it or it expired, open to anyone signed in.

    Django's form checks the current password and every validator (the history among them); the new password
    ends every session of the user (crisis.revocation), this one too, so they sign in again with it.
    """
    from django.contrib.auth import logout
    from django.contrib.auth.forms import PasswordChangeForm

    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        logout(request)
        return redirect(f"{reverse('login')}?password_changed=1")
    reason = PASSWORD_REASONS.get(request.session.get(passwords.SESSION_KEY, ""))
    context = {"form": form, "reason": reason, "hide_nav": bool(reason)}
    return render(request, "registration/password_change.html", context, status=400 if form.errors else 200)
