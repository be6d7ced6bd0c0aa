from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from .roles import ROLE_HOME


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


LoginView = login_not_required(LoginView.as_view())


@require_GET
def home(request):
    role = request.user.role
    if role is None:
        return render(request, "no_role.html", status=403)
    return redirect(ROLE_HOME[role])


@login_not_required
@require_GET
def healthz(request):
    from django.db import connection
    from django.http import JsonResponse

    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
