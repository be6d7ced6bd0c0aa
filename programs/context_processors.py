"""The top bar's links to each program's own pages, from the plug-ins (templates/base.html never names a program)."""

from django.urls import reverse

from crisis import permissions

from . import plugins


def program_links(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"program_links": []}
    links = [link for p in plugins.overriding("nav_links") for link in p.nav_links(user)]
    if permissions.may_see_care_caseload.test(user):
        # Every program's hand-offs due today on one screen: first, it is where a case manager's day starts.
        links.insert(0, ("My caseload", reverse("programs:care:caseload")))
    return {"program_links": links}
