"""The top bar's links to each program's own pages, from the plug-ins (templates/base.html never names a program)."""

from . import plugins


def program_links(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"program_links": []}
    return {"program_links": [link for p in plugins.overriding("nav_links") for link in p.nav_links(user)]}
