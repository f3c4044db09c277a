"""The printed weekly sheet and its back-entry: what is printed, the entry page's defaults, the 全部见面 shortcut,
the error summary, all-or-nothing, and scoping (other grid → 404, street leader → 403)."""

import datetime
import re
import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from households.models import Household
from tests.factories import HouseholdFactory, ResidentFactory
from tests.visits.factories import VisitTaskFactory
from visits.models import Visit

pytestmark = pytest.mark.django_db


def on_sheet(building, count, name="孔繁森", start=0):
    """`count` households of `building` with a routine task due this week, in the sheet's order."""
    households = []
    for n in range(start, start + count):
        household = HouseholdFactory(
            building=building,
            unit=1,
            floor=n // 2 + 1,
            room=f"{n // 2 + 1}0{n % 2 + 1}",
            created_at=timezone.now() - datetime.timedelta(days=365),
        )
        ResidentFactory(household=household, name=name)
        VisitTaskFactory(household=household, due_on=timezone.localdate() + datetime.timedelta(days=2))
        households.append(household)
    return households


def entry_url(building):
    return f"{reverse('visit_backfill')}?building={building.pk}"


def post_data(rows, batch=None, **extra):
    data = {
        "batch": str(batch or uuid.uuid4()),
        "sheet-TOTAL_FORMS": str(len(rows)),
        "sheet-INITIAL_FORMS": str(len(rows)),
        "sheet-MIN_NUM_FORMS": "0",
        "sheet-MAX_NUM_FORMS": "500",
        **extra,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"sheet-{i}-{key}"] = value
    return data


def row(household, visited=True, visited_on=None, outcome="met", problem=""):
    data = {
        "household_id": household.pk,
        "visited_on": (visited_on or timezone.localdate()).isoformat(),
        "outcome": outcome,
        "problem": problem,
    }
    if visited:
        data["visited"] = "on"
    return data


def checked(html, name):
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html).group(0)
    return " checked" in tag


def radio_checked(html, name, value):
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="{value}"[^>]*>', html).group(0)
    return " checked" in tag


# --- The printed sheet -------------------------------------------------------------------------------------


def test_printed_sheet_has_tick_boxes_a_notes_line_and_signature_lines(client_for, grid_worker, building):
    household = on_sheet(building, 1)[0]
    text = client_for(grid_worker).get(reverse("visit_sheet"), {"building": building.pk}).text
    row_html = text[text.index(household.room_code) : text.index("</tbody>", text.index(household.room_code))]
    row_text = re.sub(r"<[^>]+>", "", row_html)
    for label in ("☐ 见面", "☐ 不在家", "☐ 拒绝"):
        assert label in row_text
    assert "情况记录" in row_html
    footer = text[text.index("<tfoot>") : text.index("</tfoot>")]
    for line in ("走访人：", "走访日期：", "签字："):
        assert line in footer
    # The title repeats on every printed page: it is a row of the table's head.
    head = text[text.index("<thead>") : text.index("</thead>")]
    assert "本周走访表" in head and "户主" in head


def test_sheet_stylesheet_sets_a4_and_numbers_pages():
    css = (settings.BASE_DIR / "static" / "css" / "visit_sheet.css").read_text()
    assert re.search(r"@page\s*{[^}]*size:\s*A4 portrait", css)
    assert 'counter(page) " / " counter(pages)' in css
    assert "table-header-group" in css and "break-inside: avoid" in css


def test_leader_sees_masked_phones_on_the_sheet(client_for, leader, grid_worker, building):
    household = on_sheet(building, 1)[0]
    text = client_for(leader).get(reverse("visit_sheet"), {"building": building.pk}).text
    assert household.phone not in text
    assert household.phone[-4:] in text
    assert "按表补录" not in text


def test_sheet_scroll_region_can_take_focus(client_for, grid_worker, building):
    on_sheet(building, 1)
    text = client_for(grid_worker).get(reverse("visit_sheet"), {"building": building.pk}).text
    assert re.search(r'<div class="table-responsive sheet-wrap" tabindex="0" role="region" aria-label="[^"]+">', text)


# --- Back-entry: defaults and the 全部见面 shortcut --------------------------------------------------------


def test_back_entry_defaults_to_today_met_and_nothing_ticked(client_for, grid_worker, building):
    households = on_sheet(building, 3)
    response = client_for(grid_worker).get(entry_url(building))
    assert response.status_code == 200
    html = response.text
    today = timezone.localdate().isoformat()
    assert html.count(f'value="{today}"') == len(households)
    for i in range(len(households)):
        assert not checked(html, f"sheet-{i}-visited")
        assert radio_checked(html, f"sheet-{i}-outcome", "met")
    assert 'name="all_met"' in html
    assert "js/visit_backfill.js" in html
    assert 'id="errors"' not in html


def test_back_entry_checkboxes_are_thumb_sized():
    css = (settings.BASE_DIR / "static" / "css" / "visit_sheet.css").read_text()
    assert re.search(r"\.backfill-check \{[^}]*min-height: 2\.75rem", css)  # 44 px target
    assert re.search(r"\.backfill-check \.form-check-input \{[^}]*width: 2rem; height: 2rem", css)


def test_all_met_ticks_every_row_as_met_keeps_what_was_typed_and_saves_nothing(client_for, grid_worker, building):
    first, second, third = on_sheet(building, 3)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    rows = [
        row(first, visited=False, visited_on=yesterday, outcome="not_home", problem="暖气片不热"),
        row(second, visited=False),
        {**row(third, visited=False), "visited_on": ""},
    ]
    batch = uuid.uuid4()
    response = client_for(grid_worker).post(entry_url(building), post_data(rows, batch, all_met="1"))
    assert response.status_code == 200
    assert not Visit.objects.exists()
    html = response.text
    for i in range(3):
        assert checked(html, f"sheet-{i}-visited")
        assert radio_checked(html, f"sheet-{i}-outcome", "met")
    assert f'value="{yesterday.isoformat()}"' in html
    assert html.count(f'value="{timezone.localdate().isoformat()}"') == 2  # an empty date becomes today
    assert 'value="暖气片不热"' in html
    assert f'value="{batch}"' in html  # the same batch: saving after the shortcut still saves once
    assert 'id="errors"' not in html


def test_all_met_then_save_records_every_row_once(client_for, grid_worker, building):
    households = on_sheet(building, 4)
    client = client_for(grid_worker)
    data = post_data([row(h) for h in households])
    assert client.post(entry_url(building), data).status_code == 302
    # A double tap arriving after the first submission finished (its households have left the sheet).
    response = client.post(entry_url(building), data, follow=True)
    assert response.redirect_chain and "已经录入过了" in response.text
    assert Visit.objects.count() == 4
    assert set(Visit.objects.values_list("outcome", flat=True)) == {Visit.Outcome.MET}


def test_a_row_with_text_is_saved_as_the_visits_problem(client_for, grid_worker, building):
    household = on_sheet(building, 1)[0]
    client_for(grid_worker).post(entry_url(building), post_data([row(household, problem="楼道灯坏了")]))
    assert Visit.objects.get().problem == "楼道灯坏了"


# --- Back-entry: errors -----------------------------------------------------------------------------------


def test_errors_land_on_a_summary_listing_the_rows_in_error_and_save_nothing(client_for, grid_worker, building):
    households = on_sheet(building, 5)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    rows = [row(h) for h in households]
    rows[1] = row(households[1], visited_on=tomorrow)
    rows[3] = {**row(households[3]), "visited_on": ""}
    response = client_for(grid_worker).post(entry_url(building), post_data(rows))
    assert response.status_code == 200
    assert not Visit.objects.exists()
    html = response.text
    # The form posts to #errors, so the browser lands on the summary; it is also focused on load.
    assert f'action="{entry_url(building)}#errors"' in html
    summary = html[html.index('id="errors"') : html.index("</div>", html.index('id="errors"'))]
    assert "autofocus" in html[html.index('<div id="errors"') : html.index('id="errors"') + 80]
    assert "有 2 户填写有误" in summary
    links = re.findall(r'<a class="link-danger" href="#(sheet-\d+)">([^<]+)</a>：([^<]+)</li>', summary)
    assert [(anchor, room.split()[0]) for anchor, room, _ in links] == [
        ("sheet-1", households[1].room_code),
        ("sheet-3", households[3].room_code),
    ]
    assert "不能晚于今天" in links[0][2]
    assert "请填写走访日期" in links[1][2]
    # Each link's target is the row's fieldset, marked as in error.
    assert re.search(r'<fieldset id="sheet-1" class="[^"]*has-error', html)
    assert not re.search(r'<fieldset id="sheet-0" class="[^"]*has-error', html)
    # What was entered is kept.
    assert checked(html, "sheet-0-visited") and checked(html, "sheet-4-visited")


def test_a_row_for_a_household_not_on_the_sheet_is_listed_as_unknown(
    client_for, grid_worker, building, other_household
):
    household = on_sheet(building, 1)[0]
    rows = [row(household), row(other_household)]
    response = client_for(grid_worker).post(entry_url(building), post_data(rows))
    assert response.status_code == 200
    assert not Visit.objects.exists()
    summary = response.text[response.text.index('id="errors"') :]
    assert "未知居民户" in summary and "该户不在本表中" in summary
    assert other_household.room_code not in response.text


def test_all_met_cannot_bring_in_another_grids_household(client_for, grid_worker, building, other_household):
    household = on_sheet(building, 1)[0]
    data = post_data([row(household, visited=False), row(other_household, visited=False)], all_met="1")
    response = client_for(grid_worker).post(entry_url(building), data)
    assert response.status_code == 200
    assert other_household.room_code not in response.text
    assert "单雄信" not in response.text
    assert not Visit.objects.exists()


# --- Scoping and cost -------------------------------------------------------------------------------------


def test_other_grids_building_is_404_for_the_sheet_the_entry_and_the_shortcut(client_for, grid_worker, other_building):
    client = client_for(grid_worker)
    on_sheet(other_building, 1)
    assert client.get(reverse("visit_sheet"), {"building": other_building.pk}).status_code == 404
    assert client.get(entry_url(other_building)).status_code == 404
    assert client.post(entry_url(other_building), post_data([], all_met="1")).status_code == 404
    assert client.get(reverse("visit_backfill"), {"building": "x"}).status_code == 404


def test_street_leader_may_not_use_the_shortcut_or_enter(client_for, leader, grid_worker, building):
    households = on_sheet(building, 1)
    client = client_for(leader)
    assert client.get(entry_url(building)).status_code == 403
    assert client.post(entry_url(building), post_data([row(households[0])], all_met="1")).status_code == 403
    assert not Visit.objects.exists()


def test_cadre_of_the_community_may_enter(client_for, cadre, grid_worker, building):
    household = on_sheet(building, 1)[0]
    assert client_for(cadre).post(entry_url(building), post_data([row(household)])).status_code == 302
    assert Visit.objects.get().logged_by == cadre


@pytest.mark.parametrize("method", ["get", "all_met", "error"])
def test_entry_queries_do_not_grow_with_rows(client_for, grid_worker, building, method):
    client = client_for(grid_worker)

    def count_queries():
        households = Household.objects.filter(building=building).order_by("unit", "floor", "room")
        if method == "get":
            request = lambda: client.get(entry_url(building))  # noqa: E731
        else:
            rows = [row(h, visited_on=timezone.localdate() + datetime.timedelta(days=1)) for h in households]
            extra = {"all_met": "1"} if method == "all_met" else {}
            request = lambda: client.post(entry_url(building), post_data(rows, **extra))  # noqa: E731
        with CaptureQueriesContext(connection) as ctx:
            assert request().status_code == 200
        return len(ctx)

    on_sheet(building, 3)
    three = count_queries()
    on_sheet(building, 27, start=3)
    assert count_queries() == three
