"""crisis/geo/services.py::addresses_load, and the load_addresses command around it."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from crisis.geo.models import Address
from crisis.geo.services import SAMPLE_CSV, BadFile, addresses_load

pytestmark = pytest.mark.django_db

HEADER = "LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH\n"


def load(text):
    return addresses_load(lines=StringIO(text))


def test_rows_load_tidied_and_keyed():
    report = load(HEADER + "-87.658,41.8857,1200,W LAKE ST,,CHICAGO,,IL,60607,,h1\n")
    assert (report.loaded, report.skipped, report.bad) == (1, 0, 0)
    a = Address.objects.get()
    assert (a.number, a.street, a.city, a.region) == ("1200", "W Lake St", "Chicago", "IL")
    assert (a.latitude, a.longitude, a.key, a.street_key) == (41.8857, -87.658, "1200 w lake st", "w lake st")
    assert a.label == "1200 W Lake St, Chicago, IL 60607"


def test_loading_twice_skips_what_is_there_and_a_repeat_in_the_file():
    text = HEADER + "-87.658,41.8857,1200,W Lake St,,Chicago,,IL,60607,,h1\n-87.66,41.89,5,N Elm St,,,,,,,\n"
    assert load(text).loaded == 2
    again = load(text + "-87.66,41.89,5,N Elm St,,,,,,,\n")
    assert (again.loaded, again.skipped, again.bad) == (0, 3, 0)
    assert Address.objects.count() == 2


@pytest.mark.parametrize(
    ("row", "why"),
    [
        ("x,41.8,1,A St,,,,,,,", "LON/LAT are not numbers"),
        ("-87.6,95,1,A St,,,,,,,", "not a position on Earth"),
        ("-87.6,nan,1,A St,,,,,,,", "not a position on Earth"),
        ("-87.6,41.8,,A St,,,,,,,", "NUMBER is empty"),
        ("-87.6,41.8,1,,,,,,,,", "STREET is empty"),
        ("-87.6,41.8,1," + "A" * 121 + ",,,,,,,", "STREET is longer than 120"),
        ("-87.6,41.8,1,A\x00St,,,,,,,", "NUL"),
    ],
)
def test_bad_rows_are_named_by_line_and_the_good_ones_load(row, why):
    report = load(HEADER + "-87.6,41.8,2,B St,,,,,,,\n" + row + "\n")
    assert (report.loaded, report.bad) == (1, 1)
    line, message = report.errors[0]
    assert line == 3 and why in message


@pytest.mark.parametrize("text", ["", "NAME,ADDRESS\nx,y\n"])
def test_a_file_that_is_not_an_address_csv_is_refused(text):
    with pytest.raises(BadFile):
        load(text)
    assert not Address.objects.exists()


def test_command_reports_counts_and_bad_lines(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(HEADER + "-87.6,41.8,2,B St,,,,,,,\n-87.6,oops,3,B St,,,,,,,\n")
    out, err = StringIO(), StringIO()
    call_command("load_addresses", str(path), stdout=out, stderr=err)
    assert "1 loaded, 0 skipped (already loaded), 1 bad" in out.getvalue()
    assert f"{path}:3: LON/LAT are not numbers" in err.getvalue()


def test_command_refuses_a_missing_file_or_header(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("load_addresses", str(tmp_path / "none.csv"))
    bad = tmp_path / "b.csv"
    bad.write_text("A,B\n1,2\n")
    with pytest.raises(CommandError, match="lacks LON, LAT, NUMBER, STREET"):
        call_command("load_addresses", str(bad))


def test_the_shipped_sample_loads_clean_and_holds_the_demo_addresses():
    with SAMPLE_CSV.open(newline="") as lines:
        report = addresses_load(lines=lines)
    assert report.bad == 0 and report.loaded >= 300
    for line in ("1200 W Lake St", "233 S Wacker Dr", "100 N State St"):
        assert Address.objects.filter(key=line.lower()).exists(), line
