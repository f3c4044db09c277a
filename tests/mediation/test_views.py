"""The dispute pages per persona — the assigned mediator and the committee's manager read and act; another
mediator, the street leader, a grid worker and another community's cadre get a 404 and change nothing — the
list with its order and filters, the flow through the pages, sessions, recusal, assignment, the deadline's
extension, and the household timeline's line for those who may only know that a dispute exists."""

import datetime
import uuid

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from mediation.models import Dispute, DisputeMediator, FollowUp, MediationSession, Party
from mediation.services import PartyData, register_dispute

State = Dispute.State
INDEX = reverse("mediation_index")


def detail(dispute):
    return reverse("dispute_detail", args=[dispute.pk])


def advance(client, dispute, to_state, follow=True, **data):
    payload = {"to_state": to_state, **{f"move-{to_state}-{key}": value for key, value in data.items()}}
    return client.post(reverse("dispute_advance", args=[dispute.pk]), payload, follow=follow)


def session_data(dispute, **fields):
    return {
        "token": str(uuid.uuid4()),
        "held_on": timezone.localdate().isoformat(),
        "place": "和为贵调解室",
        "mediators": [str(a.mediator_id) for a in dispute.assignments.filter(recused_at__isnull=True)],
        "attendees": "魏永凯、单雄信",
        "record": "双方陈述了漏水经过，同意先请人鉴定。",
        "next_step": "下周再调",
        **fields,
    }


def outsider_dispute(community, by, title, **fields):
    return register_dispute(
        community=community,
        by=by,
        parties=[
            PartyData(side="applicant", kind="person", name=f"{title}申请人"),
            PartyData(side="respondent", kind="person", name=f"{title}被申请人"),
        ],
        dispute_type=fields.pop("dispute_type", "neighbour"),
        title=title,
        facts="事实",
        **fields,
    )


# --- Every URL per persona ---------------------------------------------------------------------------------------


def content_urls(dispute):
    return [
        detail(dispute),
        reverse("session_create", args=[dispute.pk]),
    ]


POSTS = {
    "dispute_advance": {"to_state": "mediating"},
    "session_create": {},
    "dispute_recuse": {"recusal-grounds": "interest", "recusal-reason": "亲属"},
    "dispute_assign": {"assign-mediator": "1"},
    "dispute_extend": {"extend-reason": "等待鉴定", "extend-parties_consent": "on"},
}


@pytest.mark.parametrize("persona", ["grid_worker", "other_mediator", "leader", "other_community_cadre"])
def test_outsiders_get_404_on_every_dispute_page_and_change_nothing(persona, request, client_for, dispute, roster):
    client = client_for(request.getfixturevalue(persona))
    for url in content_urls(dispute):
        assert client.get(url).status_code == 404, url
    for name, data in POSTS.items():
        if name == "session_create":
            data = session_data(dispute)
        assert client.post(reverse(name, args=[dispute.pk]), data).status_code == 404, name
    dispute.refresh_from_db()
    assert dispute.state == State.ACCEPTED and dispute.extended_on is None
    assert not MediationSession.objects.exists() and dispute.events.count() == 2
    assert not DisputeMediator.objects.filter(recused_at__isnull=False).exists()


@pytest.mark.parametrize("persona", ["mediator", "cadre"])
def test_the_assigned_mediator_and_the_manager_read_the_dispute(persona, request, client_for, dispute, roster):
    client = client_for(request.getfixturevalue(persona))
    for url in content_urls(dispute):
        assert client.get(url).status_code == 200, url
    body = client.get(detail(dispute)).content.decode()
    assert dispute.number in body and "12号楼1单元301室卫生间漏水" in body
    assert "赔偿漏水损失 2000 元" in body and "只同意修好防水" in body
    assert "魏永凯" in body and "单雄信" in body


def test_the_dispute_page_links_the_agreement_and_the_case_file_where_they_exist(client_for, cadre, dispute):
    body = client_for(cadre).get(detail(dispute)).content.decode()
    try:
        case_file = reverse("dispute_case_file", args=[dispute.pk])
    except NoReverseMatch:
        case_file = None
    if case_file:
        assert case_file in body
    agreement = reverse("dispute_agreement", args=[dispute.pk])
    assert agreement not in body  # no agreement before success


def test_phones_are_masked_for_who_may_not_see_them(client_for, mediator, cadre, dispute):
    dispute.parties.filter(side="applicant").update(phone="13905371234")
    assert "13905371234" in client_for(cadre).get(detail(dispute)).content.decode()
    masked = client_for(mediator).get(detail(dispute)).content.decode()
    assert "13905371234" not in masked and "1234" in masked


def test_anonymous_users_are_sent_to_login(client, dispute):
    for url in (INDEX, detail(dispute), reverse("dispute_create")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- The list ----------------------------------------------------------------------------------------------------


def test_the_list_shows_the_mediators_disputes_and_not_others(
    client_for, mediator, other_mediator, dispute, cadre, community
):
    unassigned = outsider_dispute(community, cadre, "未分派的纠纷")

    mine = client_for(mediator).get(INDEX).content.decode()
    assert f'id="dispute-{dispute.pk}"' in mine and f'id="dispute-{unassigned.pk}"' not in mine
    assert "魏永凯" in mine and "单雄信" in mine

    managers = client_for(cadre).get(INDEX).content.decode()
    assert f'id="dispute-{dispute.pk}"' in managers and f'id="dispute-{unassigned.pk}"' in managers
    assert "待指派调解员" in managers

    theirs = client_for(other_mediator).get(INDEX).content.decode()
    assert f'id="dispute-{dispute.pk}"' not in theirs


def test_the_leader_sees_the_figures_only_and_the_grid_worker_nothing(client_for, leader, grid_worker, dispute):
    response = client_for(leader).get(INDEX)
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="dispute-{dispute.pk}"' not in body and "魏永凯" not in body and dispute.title not in body
    assert reverse("dispute_create") not in body
    assert client_for(grid_worker).get(INDEX).status_code == 403


def test_the_register_button_is_for_who_may_register(client_for, mediator, cadre, leader, grid, roster):
    assert reverse("dispute_create") in client_for(mediator).get(INDEX).content.decode()
    assert reverse("dispute_create") in client_for(cadre).get(INDEX).content.decode()
    assert reverse("dispute_create") not in client_for(leader).get(INDEX).content.decode()


def test_the_list_puts_open_before_closed_and_overdue_first_with_how_late(client_for, cadre, community, grid):
    today = timezone.localdate()
    closed = outsider_dispute(community, cadre, "已结案")
    closed.advance(State.REJECTED, by=cadre, reason="已起诉")
    registered = outsider_dispute(community, cadre, "刚登记")
    on_time = outsider_dispute(community, cadre, "期限内")
    on_time.advance(State.ACCEPTED, by=cadre)
    late = outsider_dispute(community, cadre, "已逾期")
    late.advance(State.ACCEPTED, by=cadre)
    Dispute.objects.filter(pk=late.pk).update(deadline=today - datetime.timedelta(days=4))

    body = client_for(cadre).get(INDEX).content.decode()

    order = [body.index(f'id="dispute-{d.pk}"') for d in (late, on_time, registered, closed)]
    assert order == sorted(order)
    assert "逾期 4 天" in body


def test_a_row_shows_the_dispute_escaped_with_its_badges_parties_and_deadline(client_for, cadre, community, grid):
    today = timezone.localdate()
    dispute = outsider_dispute(community, cadre, "<b>漏水</b>", dispute_type="family", risk="red")
    dispute.advance(State.ACCEPTED, by=cadre)
    Dispute.objects.filter(pk=dispute.pk).update(deadline=today + datetime.timedelta(days=3))

    body = client_for(cadre).get(INDEX).content.decode()

    row = body[body.index(f'id="dispute-{dispute.pk}"') :].split("</a>")[0]
    assert f'href="{detail(dispute)}"' in body
    assert "&lt;b&gt;漏水&lt;/b&gt;" in row and "<b>漏水" not in row
    assert '<span class="badge text-bg-info">受理</span>' in row
    assert '<span class="badge text-bg-danger" title="红色（立即上报）">红色风险</span>' in row
    assert "&lt;b&gt;漏水&lt;/b&gt;申请人" in row and "与" in row and "&lt;b&gt;漏水&lt;/b&gt;被申请人" in row
    assert " · 婚姻家庭继承 · " in row
    deadline = f"{today + datetime.timedelta(days=3):%Y-%m-%d}"
    assert f'<span class="text-nowrap">期限 {deadline}</span>（剩 3 天）' in row
    assert "待指派调解员" in row


def test_the_list_filters_by_state_type_and_risk(client_for, cadre, community, grid):
    family = outsider_dispute(community, cadre, "家事", dispute_type="family", risk="orange")
    property_ = outsider_dispute(community, cadre, "物业", dispute_type="property")
    property_.advance(State.ACCEPTED, by=cadre)
    client = client_for(cadre)

    def listed(**params):
        body = client.get(INDEX, params).content.decode()
        return {d.title for d in (family, property_) if f'id="dispute-{d.pk}"' in body}

    assert listed(state="accepted") == {"物业"}
    assert listed(state="open") == {"家事", "物业"}
    assert listed(dispute_type="family") == {"家事"}
    assert listed(risk="orange") == {"家事"}
    assert listed(state="overdue") == set()
    assert client.get(INDEX, {"state": "nonsense", "page": "x"}).status_code == 200


def test_the_list_costs_the_same_queries_for_3_and_30_disputes(client_for, cadre, community, grid, roster):
    client = client_for(cadre)

    def count_queries():
        client.get(INDEX)  # warm the session and permission caches
        with CaptureQueriesContext(connection) as queries:
            body = client.get(INDEX).content.decode()
        assert body.count('id="dispute-') == min(Dispute.objects.count(), 25)
        return len(queries)

    for n in range(3):
        outsider_dispute(community, cadre, f"纠纷{n}", mediators=[roster["mediator"]])
    three = count_queries()
    for n in range(3, 30):
        outsider_dispute(community, cadre, f"纠纷{n}", mediators=[roster["mediator"]])
    assert count_queries() == three


# --- The flow through the pages ---------------------------------------------------------------------------------


def test_a_dispute_is_accepted_mediated_settled_followed_up_and_closed_through_the_pages(
    client_for, mediator, cadre, new_dispute, roster
):
    client = client_for(mediator)
    assert "已更新为“受理”" in advance(client, new_dispute, State.ACCEPTED, note="材料齐全").content.decode()

    response = client.post(reverse("session_create", args=[new_dispute.pk]), session_data(new_dispute), follow=True)
    assert "调解记录已保存" in response.content.decode()
    new_dispute.refresh_from_db()
    assert new_dispute.state == State.MEDIATING

    response = advance(
        client,
        new_dispute,
        State.SUCCEEDED,
        agreement_kind="written",
        responsibility="楼上负主要责任",
        agreement="楼上赔偿 1500 元并修复防水。",
        performance_manner="现金一次付清",
        performance_deadline=(timezone.localdate() + datetime.timedelta(days=10)).isoformat(),
        court_confirmation="no",
    )
    new_dispute.refresh_from_db()
    assert new_dispute.state == State.SUCCEEDED and new_dispute.court_confirmation is False
    assert new_dispute.agreement == "楼上赔偿 1500 元并修复防水。"
    assert FollowUp.objects.filter(dispute=new_dispute).count() == 1
    body = response.content.decode()
    assert "楼上赔偿 1500 元并修复防水。" in body and "第 1 次回访" in body
    assert reverse("dispute_agreement", args=[new_dispute.pk]) in body

    new_dispute.advance(State.FOLLOW_UP, by=mediator)
    assert "已更新为“结案”" in advance(client_for(cadre), new_dispute, State.CLOSED).content.decode()
    new_dispute.refresh_from_db()
    assert new_dispute.state == State.CLOSED


def test_a_failure_records_where_the_dispute_went_through_the_page(client_for, mediator, dispute):
    response = advance(
        client_for(mediator), dispute, State.FAILED, escalated_to="court", failure_reason="申请人坚持起诉"
    )
    dispute.refresh_from_db()
    assert (dispute.state, dispute.escalated_to) == (State.FAILED, "court")
    assert "人民法院" in response.content.decode()


def test_rejection_needs_a_reason_shown_as_a_form_error(client_for, cadre, new_dispute):
    response = advance(client_for(cadre), new_dispute, State.REJECTED, note="")
    body = response.content.decode()
    assert response.status_code == 200 and "不予受理时请写明理由" in body
    new_dispute.refresh_from_db()
    assert new_dispute.state == State.REGISTERED

    advance(client_for(cadre), new_dispute, State.REJECTED, note="已进入诉讼程序")
    new_dispute.refresh_from_db()
    assert (new_dispute.state, new_dispute.rejection_reason) == (State.REJECTED, "已进入诉讼程序")


def test_success_without_an_agreement_is_a_form_error_and_keeps_what_was_typed(client_for, mediator, dispute):
    dispute.advance(State.MEDIATING, by=mediator)
    response = advance(client_for(mediator), dispute, State.SUCCEEDED, responsibility="双方各半", agreement="")
    body = response.content.decode()
    assert response.status_code == 200
    assert "请选择书面协议或口头协议" in body and "请填写协议内容" in body and "双方各半" in body
    dispute.refresh_from_db()
    assert dispute.state == State.MEDIATING and not FollowUp.objects.exists()


@pytest.mark.parametrize("to_state", [State.SUCCEEDED, State.CLOSED, "nonsense", ""])
def test_illegal_moves_are_refused_with_a_message(client_for, cadre, new_dispute, to_state):
    response = advance(client_for(cadre), new_dispute, to_state)
    body = response.content.decode()
    assert response.status_code == 200
    assert "不能从“登记”转到" in body or "未知的调解案件状态" in body
    new_dispute.refresh_from_db()
    assert new_dispute.state == State.REGISTERED and new_dispute.events.count() == 1


@pytest.mark.parametrize("to_state", [State.MEDIATING, State.FOLLOW_UP])
def test_reopening_and_following_up_are_left_to_the_follow_up_record(client_for, mediator, dispute, to_state):
    dispute.advance(State.MEDIATING, by=mediator)
    dispute.advance(State.SUCCEEDED, by=mediator, agreement_kind="oral", agreement="口头约定修好防水")
    response = advance(client_for(mediator), dispute, to_state)
    assert "请在回访中登记" in response.content.decode()
    dispute.refresh_from_db()
    assert dispute.state == State.SUCCEEDED


def test_only_the_moves_of_the_current_state_are_offered(client_for, cadre, new_dispute):
    body = client_for(cadre).get(detail(new_dispute)).content.decode()
    assert 'value="accepted"' in body and 'value="rejected"' in body
    assert 'value="succeeded"' not in body and 'value="closed"' not in body


def test_a_closed_dispute_offers_nothing_and_refuses_changes(client_for, cadre, new_dispute):
    new_dispute.advance(State.REJECTED, by=cadre, reason="不属于调解范围")
    client = client_for(cadre)
    body = client.get(detail(new_dispute)).content.decode()
    assert reverse("dispute_advance", args=[new_dispute.pk]) not in body
    response = client.post(
        reverse("dispute_extend", args=[new_dispute.pk]),
        {"extend-reason": "x", "extend-parties_consent": "on"},
        follow=True,
    )
    assert "不能再办理" in response.content.decode()


# --- Sessions ----------------------------------------------------------------------------------------------------


def test_a_double_submitted_session_is_recorded_once(client_for, mediator, dispute):
    client = client_for(mediator)
    data = session_data(dispute)
    first = client.post(reverse("session_create", args=[dispute.pk]), data)
    second = client.post(reverse("session_create", args=[dispute.pk]), data)
    session = MediationSession.objects.get()
    assert first["Location"] == second["Location"] == f"{detail(dispute)}#session-{session.pk}"


def test_the_session_form_offers_the_active_mediators_all_ticked(client_for, cadre, dispute, roster):
    body = client_for(cadre).get(reverse("session_create", args=[dispute.pk])).content.decode()
    assert f'value="{roster["mediator"].pk}"' in body and "checked" in body
    assert f'value="{roster["veteran"].pk}"' not in body


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"held_on": "2999-01-01"}, "调解日期不能晚于今天"),
        ({"held_on": "2000-01-01"}, "调解日期不能早于案件登记日期"),
        ({"held_on": "昨天"}, "输入一个有效的日期"),
        ({"mediators": []}, "请选择主持本次调解的调解员"),
        ({"record": ""}, "这个字段是必填项"),
    ],
)
def test_an_invalid_session_is_refused_with_a_chinese_message(client_for, mediator, dispute, change, message):
    response = client_for(mediator).post(reverse("session_create", args=[dispute.pk]), session_data(dispute, **change))
    assert response.status_code == 200 and message in response.content.decode()
    assert not MediationSession.objects.exists()


def test_a_mediator_not_assigned_cannot_be_named_in_a_session(client_for, mediator, dispute, roster):
    data = session_data(dispute, mediators=[str(roster["veteran"].pk)])
    response = client_for(mediator).post(reverse("session_create", args=[dispute.pk]), data)
    assert response.status_code == 200 and not MediationSession.objects.exists()


def test_no_session_before_acceptance(client_for, mediator, new_dispute):
    response = client_for(mediator).get(reverse("session_create", args=[new_dispute.pk]), follow=True)
    assert "只有已受理、调解中的案件可以记录调解" in response.content.decode()


# --- Recusal and assignment ------------------------------------------------------------------------------------


def test_a_mediator_who_recuses_themselves_gets_404_afterwards(client_for, mediator, cadre, dispute, roster):
    client = client_for(mediator)
    response = client.post(
        reverse("dispute_recuse", args=[dispute.pk]),
        {
            "recusal-assignment": str(dispute.assignments.get().pk),
            "recusal-grounds": "interest",
            "recusal-reason": "与申请人系表兄弟",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == INDEX
    assert "将由调解委员会另行指派调解员" in response.content.decode()
    assert client.get(detail(dispute)).status_code == 404

    manager_page = client_for(cadre).get(detail(dispute)).content.decode()
    assert "<del>" in manager_page and "与申请人系表兄弟" in manager_page
    assignment = dispute.assignments.get()
    assert assignment.recusal_reason == "本人与当事人有亲属或利害关系：与申请人系表兄弟"


def test_a_mediator_cannot_name_a_replacement_or_recuse_another(client_for, mediator, cadre, dispute, roster):
    other = DisputeMediator.objects.create(dispute=dispute, mediator=roster["teacher"], assigned_by=cadre)
    response = client_for(mediator).post(
        reverse("dispute_recuse", args=[dispute.pk]),
        {"recusal-assignment": str(other.pk), "recusal-grounds": "party_request", "recusal-reason": "当事人要求"},
    )
    assert response.status_code == 200
    other.refresh_from_db()
    assert other.recused_at is None


def test_recusal_needs_a_reason(client_for, mediator, dispute):
    response = client_for(mediator).post(
        reverse("dispute_recuse", args=[dispute.pk]),
        {"recusal-assignment": str(dispute.assignments.get().pk), "recusal-grounds": "interest", "recusal-reason": ""},
    )
    assert "请写明回避理由" in response.content.decode()
    assert dispute.assignments.get().recused_at is None


def test_a_manager_recuses_a_mediator_and_names_the_replacement(client_for, cadre, dispute, roster):
    client_for(cadre).post(
        reverse("dispute_recuse", args=[dispute.pk]),
        {
            "recusal-assignment": str(dispute.assignments.get().pk),
            "recusal-grounds": "party_request",
            "recusal-reason": "被申请人认为调解员偏向对方",
            "recusal-replacement": str(roster["teacher"].pk),
        },
    )
    active = dispute.assignments.get(recused_at__isnull=True)
    assert active.mediator == roster["teacher"] and active.is_lead


def test_a_manager_assigns_a_mediator_with_those_skilled_in_the_type_suggested_first(
    client_for, cadre, dispute, roster
):
    client = client_for(cadre)
    body = client.get(detail(dispute)).content.decode()
    assert body.index("刘守义（老教师） · 擅长此类纠纷") < body.index("高建军（老退役军人）")

    response = client.post(
        reverse("dispute_assign", args=[dispute.pk]), {"assign-mediator": str(roster["veteran"].pk)}, follow=True
    )
    assert "已指派 高建军" in response.content.decode()
    assert dispute.assignments.filter(mediator=roster["veteran"], recused_at__isnull=True).exists()


def test_assigning_is_for_managers_only(client_for, mediator, dispute, roster):
    response = client_for(mediator).post(
        reverse("dispute_assign", args=[dispute.pk]), {"assign-mediator": str(roster["veteran"].pk)}
    )
    assert response.status_code == 403
    assert "assign-mediator" not in client_for(mediator).get(detail(dispute)).content.decode()


def test_assigning_someone_off_the_roster_is_a_form_error(client_for, cadre, dispute):
    response = client_for(cadre).post(reverse("dispute_assign", args=[dispute.pk]), {"assign-mediator": "999999"})
    assert response.status_code == 200 and "选择一个有效的选项" in response.content.decode()


# --- Deadline extension ------------------------------------------------------------------------------------------


def test_the_deadline_is_extended_once_through_the_page(client_for, mediator, dispute):
    client = client_for(mediator)
    url = reverse("dispute_extend", args=[dispute.pk])

    refused = client.post(url, {"extend-reason": "等待鉴定"})
    assert "延期须经双方当事人同意，请确认后勾选" in refused.content.decode()

    response = client.post(url, {"extend-reason": "等待鉴定", "extend-parties_consent": "on"}, follow=True)
    dispute.refresh_from_db()
    assert dispute.extended_on == timezone.localdate()
    body = response.content.decode()
    assert "调解期限已延长至" in body and "经双方当事人同意延期：等待鉴定" in body
    assert url not in body

    again = client.post(url, {"extend-reason": "还要时间", "extend-parties_consent": "on"})
    assert again.status_code == 200 and "调解期限只能延长一次" in again.content.decode()
    assert dispute.events.filter(from_state=State.ACCEPTED, to_state=State.ACCEPTED).count() == 1


def test_the_page_shows_days_left_and_days_overdue(client_for, mediator, dispute):
    # Signed in on the day (a session signed in today would have expired weeks later).
    with time_machine.travel(dispute.deadline - datetime.timedelta(days=5)):
        assert "剩 5 天" in client_for(mediator).get(detail(dispute)).content.decode()
    with time_machine.travel(dispute.deadline + datetime.timedelta(days=2)):
        assert "逾期 2 天" in client_for(mediator).get(detail(dispute)).content.decode()


# --- Household timeline ----------------------------------------------------------------------------------------


def test_the_household_timeline_tells_the_grid_worker_the_state_but_no_content(client_for, grid_worker, cadre, dispute):
    page = reverse("household_detail", args=[dispute.parties.get(side="applicant").household_id])

    body = client_for(grid_worker).get(page).content.decode()
    assert "调解案件 · 受理" in body
    assert detail(dispute) not in body
    assert "漏水" not in body and "单雄信" not in body and "赔偿" not in body

    assert detail(dispute) in client_for(cadre).get(page).content.decode()


def test_the_timeline_of_a_household_that_is_no_party_says_nothing_of_disputes(
    client_for, grid_worker, dispute, building
):
    from tests.factories import HouseholdFactory

    bystander = HouseholdFactory(building=building, unit=1, room="101")
    body = client_for(grid_worker).get(reverse("household_detail", args=[bystander.pk])).content.decode()
    assert "调解案件 ·" not in body


def test_parties_are_listed_by_side(client_for, cadre, dispute):
    body = client_for(cadre).get(detail(dispute)).content.decode()
    assert body.index("申请人：魏永凯") < body.index("被申请人：单雄信")
    assert Party.objects.filter(dispute=dispute).count() == 2
