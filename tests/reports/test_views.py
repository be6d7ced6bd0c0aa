"""reports/views.py: who may see reports, bad filters, CSV equals the page, the JSON API."""

import csv
import io
from html.parser import HTMLParser

import pytest

from reports import standards
from reports.registry import REPORTS
from tests.reports.world import DAY

PERSONAS = ["dana", "cam", "sue", "oli", "ada", "rita", "nora"]
ALLOWED = {"sue", "ada"}
RANGE = f"start={DAY.isoformat()}&end={DAY.replace(day=15).isoformat()}"
URLS = [
    "/reports/",
    "/reports/intervals/",
    "/reports/standards/",
    "/reports/outcomes/",
    "/reports/caseload/",
    "/reports/intervals/summary.csv",
    "/reports/standards/breaches.csv",
    "/reports/outcomes/dispositions.csv",
    "/reports/caseload/teams.csv",
    "/api/reports/intervals/",
    "/api/reports/standards/",
    "/api/reports/outcomes/",
    "/api/reports/caseload/",
]


@pytest.fixture
def everyone(dana, cam, sue, oli, ada, rita, nora):
    return {"dana": dana, "cam": cam, "sue": sue, "oli": oli, "ada": ada, "rita": rita, "nora": nora}


@pytest.mark.django_db
@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_only_supervisors_and_administrators(client, everyone, persona, url):
    client.force_login(everyone[persona])
    response = client.get(url)
    assert response.status_code == (200 if persona in ALLOWED else 403), (persona, url)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/reports/standards/", "/reports/outcomes/summary.csv", "/api/reports/outcomes/"])
def test_anonymous_is_refused(client, url):
    assert client.get(url).status_code in (302, 401, 403)


@pytest.mark.django_db
def test_nav_link_only_for_report_roles(client, sue, dana):
    client.force_login(sue)
    assert b'href="/reports/"' in client.get("/dispatch/").content
    client.force_login(dana)
    assert b'href="/reports/"' not in client.get("/dispatch/").content


BAD = [
    "start=yesterday",
    "end=2026-02-30",
    "start=2026-03-10&end=2026-03-01",
    "start=2010-01-01&end=2026-01-01",
    "program=999999",
    "program=abc",
    "team=999999",
    "by=shoe-size",
    "standard=nope",
    "page=0",
    "page=x",
]


@pytest.mark.django_db
@pytest.mark.parametrize("query", BAD)
def test_bad_filters_are_400_not_500(client, sue, query):
    client.force_login(sue)
    page = client.get(f"/reports/intervals/?{query}")
    assert page.status_code == 400
    assert b'class="error"' in page.content
    assert client.get(f"/reports/standards/summary.csv?{query}").status_code == 400
    api = client.get(f"/api/reports/outcomes/?{query}")
    assert api.status_code == 400 and api.json()["errors"]


@pytest.mark.django_db
def test_team_outside_program_is_a_form_error(client, sue, team_a):
    from programs.models import Program

    other = Program.objects.create(name="Other", kind="fact")
    client.force_login(sue)
    response = client.get(f"/reports/caseload/?program={other.pk}&team={team_a.pk}")
    assert response.status_code == 400 and b"not in the chosen program" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/reports/nope/", "/reports/intervals/nope.csv", "/api/reports/nope/"])
def test_unknown_report_or_table_is_404(client, sue, url):
    client.force_login(sue)
    assert client.get(url).status_code == 404


class Tables(HTMLParser):
    """Collects the text of every <table data-table=...> on a page."""

    def __init__(self):
        super().__init__()
        self.tables, self.current, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-table" in attrs:
            self.current = self.tables.setdefault(attrs["data-table"], [])
        elif self.current is not None and tag == "tr":
            self.row = []
        elif self.row is not None and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.current.append(self.row)
            self.row = None
        elif tag == "table":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


@pytest.mark.django_db
@pytest.mark.parametrize("name, by", [(n, "program") for n in REPORTS] + [("intervals", "weekday")])
def test_csv_equals_the_table_on_screen(client, sue, world, name, by):
    client.force_login(sue)
    query = f"{RANGE}&by={by}"
    page = client.get(f"/reports/{name}/?{query}")
    assert page.status_code == 200
    parser = Tables()
    parser.feed(page.content.decode())
    assert set(parser.tables) == set(page.context["report"].tables)
    for table, on_screen in parser.tables.items():
        response = client.get(f"/reports/{name}/{table}.csv?{query}")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        if len(on_screen) == 2 and len(on_screen[1]) == 1:  # "No calls in this range."
            assert rows == on_screen[:1]
        else:
            assert rows == on_screen, table
        assert len(rows) > 1 or table in ("caseload", "pairs")  # the world has no phone-then-field pair


@pytest.mark.django_db
def test_page_shows_hand_computed_numbers_and_charts(client, sue, world):
    client.force_login(sue)
    page = client.get(f"/reports/intervals/?{RANGE}").content.decode()
    # Assigned → on scene: median 3940 s = 1:05:40, p90 3988 s = 1:06:28 (c3 without an arrival left out).
    assert "1:05:40" in page and "1:06:28" in page
    assert 'id="report-charts"' in page and "vendor/chartjs/chart.umd.min.js" in page
    assert 'role="img"' in page
    assert 'name="by"' in page and 'name="standard"' not in page
    page = client.get(f"/reports/outcomes/?{RANGE}").content.decode()
    assert "No law-enforcement involvement: the call" in page
    page = client.get(f"/reports/standards/?{RANGE}").content.decode()
    assert f'<a href="/dispatch/calls/{world[6].pk}/">{world[6].pk}</a>' in page
    assert '<option value="arrival" selected>' in page


@pytest.mark.django_db
def test_api_returns_raw_numbers(client, sue, world, team_b):
    client.force_login(sue)
    data = client.get(f"/api/reports/intervals/?{RANGE}&team={team_b.pk}&by=tier").json()
    assert data["report"] == "intervals" and data["filters"]["team"] == team_b.pk
    summary = {r["interval"]: r for r in data["tables"]["summary"]["rows"]}
    assert summary["Triaged → assigned"] == {"interval": "Triaged → assigned", "n": 2, "median": 75.0, "p90": 95.0}
    data = client.get(f"/api/reports/standards/?{RANGE}&standard=arrival").json()
    assert [r["call"] for r in data["tables"]["breaches"]["rows"]] == [world[6].pk]
    assert data["tables"]["breaches"]["total"] == 1


@pytest.mark.django_db
def test_breach_list_pages_and_csv_has_all(client, sue, world, monkeypatch):
    monkeypatch.setattr(standards, "BREACH_PAGE_SIZE", 1)
    client.force_login(sue)
    q = f"{RANGE}&standard=follow_up"
    first = client.get(f"/reports/standards/?{q}")
    assert first.context["report"].tables["breaches"].total == 2 and first.context["next_page"] == 2
    second = client.get(f"/reports/standards/?{q}&page=2")
    assert [r["call"] for r in second.context["report"].tables["breaches"].rows] == [world[6].pk]
    rows = list(csv.reader(io.StringIO(client.get(f"/reports/standards/breaches.csv?{q}").content.decode())))
    assert [r[0] for r in rows[1:]] == [str(world[2].pk), str(world[6].pk)]


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(REPORTS))
def test_query_count_does_not_grow_with_rows(client, sue, world, name, django_assert_max_num_queries):
    client.force_login(sue)
    # Every report page first counts the range's ended days it has not kept yet (reports/keep.py): a fixed number
    # of statements for each month of them, whatever the calls.
    with django_assert_max_num_queries(COLD[name]):
        assert client.get(f"/reports/{name}/?{RANGE}").status_code == 200
    with django_assert_max_num_queries(WARM[name]):  # from the kept days
        assert client.get(f"/reports/{name}/?{RANGE}").status_code == 200


# outcomes: the 31 days before the range too; phone, then field (and the program outcomes): the day before and the
# two after.
COLD = {"standards": 27, "intervals": 27, "outcomes": 37, "caseload": 33, "program_outcomes": 34,
        "phone_then_field": 28}  # fmt: skip
WARM = {"standards": 14, "intervals": 13, "outcomes": 13, "caseload": 22, "program_outcomes": 20,
        "phone_then_field": 14}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "start=9999-12-01&end=9999-12-31",
        "end=9999-12-31",
        "end=0001-01-01",
        "start=0001-01-01&end=0001-01-31",
        "page=99999999999999999999",
    ],
)
@pytest.mark.parametrize("url", ["/reports/outcomes/", "/api/reports/standards/", "/reports/caseload/teams.csv"])
def test_filters_at_the_ends_of_the_calendar_are_a_400(client, sue, url, query):
    client.force_login(sue)
    response = client.get(f"{url}?{query}")
    assert response.status_code == 400


def test_api_is_in_the_openapi_schema():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    op = schema["paths"]["/api/reports/{name}/"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert set(params) == {"name", "start", "end", "program", "team", "by", "standard", "page"}
    assert sorted(params["name"]["schema"]["enum"]) == sorted(REPORTS)
    assert params["start"]["schema"] == {"type": "string", "format": "date"}
    assert sorted(params["standard"]["schema"]["enum"]) == ["answer", "arrival", "dispatch", "follow_up"]
    assert op["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Report"}
    assert "400" in op["responses"]
