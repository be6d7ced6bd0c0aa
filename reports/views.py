"""Supervisor report pages, CSV downloads and the JSON API: thin edges over reports.registry."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis import audit
from crisis.api import require_perms
from dispatch.standards import DEFAULT_STANDARDS

from .forms import ReportFilterForm
from .intervals import BREAKDOWNS
from .registry import REPORTS, build
from .serializers import ReportErrorSerializer, ReportSerializer
from .tables import write_csv

PERM = "crisis.view_reports"
STANDARD_KEYS = [s.key for s in DEFAULT_STANDARDS]  # CRISIS_STANDARDS may change targets, never keys


def _report_or_form(request, name: str):
    if name not in REPORTS:
        raise Http404("No such report.")
    form = ReportFilterForm(request.GET)
    if not form.is_valid():
        return form, None
    opts = form.options()
    return form, (form.filters(), opts)


def _audit_calls(request, report, *, via: str) -> None:
    """A report that lists calls one by one (which person rang back and was then seen): one row per read."""
    if report.call_ids:
        audit.record(
            actor=request.user,
            action="reports.calls.viewed",
            report=report.name,
            calls=report.call_ids,
            via=via,
            **report.filters.as_dict(),
        )


@require_GET
@permission_required(PERM, raise_exception=True)
def index(request):
    return report_page(request, "standards")


@require_GET
@permission_required(PERM, raise_exception=True)
def report_page(request, name: str):
    form, ok = _report_or_form(request, name)
    only_on = {"by": "intervals", "standard": "standards"}  # filters that belong to one report
    fields = [f for f in form.visible_fields() if only_on.get(f.name, name) == name or f.errors]
    ctx = {
        "form": form,
        "fields": fields,
        "name": name,
        "title": REPORTS[name],
        "reports": REPORTS,
        "report": None,
        "query": request.GET.urlencode(),
    }
    if ok is None:
        return render(request, "reports/report.html", ctx, status=400)
    f, opts = ok
    report = build(name, f, by=opts["by"], standard=opts["standard"], page=opts["page"])
    _audit_calls(request, report, via="page")
    params = request.GET.copy()
    params.pop("page", None)
    ctx.update(report=report, query=params.urlencode(), charts=report.charts)
    # The one list a report pages (the standards' breaches, the phone-then-field pairs): its page links.
    paged = next((t for t in report.tables.values() if t.page_size), None)
    if paged is not None and paged.total > paged.page * paged.page_size:
        ctx["next_page"] = paged.page + 1
    if paged is not None and paged.page > 1:
        ctx["prev_page"] = paged.page - 1
    return render(request, "reports/report.html", ctx)


@require_GET
@permission_required(PERM, raise_exception=True)
def report_csv(request, name: str, table: str):
    form, ok = _report_or_form(request, name)
    if ok is None:
        body = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        return HttpResponse(body, status=400, content_type="text/plain; charset=utf-8")
    f, opts = ok
    report = build(name, f, by=opts["by"], standard=opts["standard"], paged=False)
    if table not in report.tables:
        raise Http404("No such table.")
    t = report.tables[table]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{table}-{f.start}-{f.end}.csv"'
    write_csv(t, response)
    calls = {"calls": report.call_ids} if report.call_ids else {}
    audit.record(
        actor=request.user, action="dispatch.report.exported", report=name, table=table, **calls, **f.as_dict()
    )
    return response


class ReportAPI(APIView):
    """GET /api/reports/<name>/?start=&end=&program=&team=&by=&standard=&page= → the report's tables as JSON."""

    permission_classes = [require_perms(PERM)]

    @extend_schema(
        summary="A supervisor report as JSON",
        description="The same numbers as the report's page and CSV downloads, unformatted.",
        parameters=[
            OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(REPORTS)),
            OpenApiParameter("start", OpenApiTypes.DATE, description="First day (default: 29 days before end)."),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, inclusive (default: today)."),
            OpenApiParameter("program", int, description="Only this program's calls and teams."),
            OpenApiParameter("team", int, description="Only this team (it must be in the program, if one is given)."),
            OpenApiParameter("by", str, enum=list(BREAKDOWNS), description="Breakdown of the intervals report."),
            OpenApiParameter("standard", str, enum=STANDARD_KEYS, description="Breach list of the standards report."),
            OpenApiParameter(
                "page", int, description="Page of the list a report pages (1-based): breaches, phone-then-field pairs."
            ),
        ],
        responses={200: ReportSerializer, 400: ReportErrorSerializer},
    )
    def get(self, request, name: str):
        form, ok = _report_or_form(request, name)
        if ok is None:
            return Response({"detail": "Invalid filters.", "errors": form.errors}, status=400)
        f, opts = ok
        report = build(name, f, by=opts["by"], standard=opts["standard"], page=opts["page"])
        _audit_calls(request, report, via="api")
        return Response(report.as_json())
