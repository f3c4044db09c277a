"""The mediation admin: superusers read a dispute's content; any other staff user sees counts and steps only —
in the list, the change page, the search and the history — and the lists cost the same for 3 disputes and 30."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from grids.models import StaffAssignment
from mediation.models import Dispute, DisputeMediator, Mediator, Party
from mediation.services import PartyData, conclude_success, party_from_resident, record_session, register_dispute
from tests.factories import CommunityFactory, GridFactory, UserFactory

pytestmark = pytest.mark.django_db

# Another community's disputes are registered a year earlier: a dispute's number (和调〔年〕第N号) is unique
# across committees, and a second committee's first number of the year would repeat the first one's.
LAST_YEAR = timezone.now() - timezone.timedelta(days=366)

# Content of the `concluded` dispute: none of it may reach a non-superuser's page.
CONTENT = [
    "楼上漏水致楼下受损",  # title
    "卫生间漏水",  # facts
    "损失金额及维修责任",  # matters
    "魏永凯",  # parties
    "单雄信",
    "赔偿漏水损失",  # claims
    "双方到现场查看漏水点",  # session record
    "于十日内修复防水层",  # agreement
    "修好后由调解员现场查看",  # performance manner
]


def admin_url(name, *args):
    return reverse(f"admin:mediation_{name}", args=args)


@pytest.fixture
def clerk(db):
    """A staff user with the admin role: the admin's dispute list and counts, never content."""
    return UserFactory(username="clerk", full_name="钱文书", role=User.Role.ADMIN, is_staff=True)


@pytest.fixture
def concluded(dispute, mediator, roster):
    """The accepted dispute after a session and a written agreement, so every kind of content is on record."""
    record_session(
        dispute,
        by=mediator,
        mediators=[roster["mediator"]],
        held_on=timezone.localdate(),
        attendees="魏永凯、单雄信",
        record="双方到现场查看漏水点，单雄信承认防水层老化。",
        next_step="",
    )
    conclude_success(
        dispute,
        by=mediator,
        agreement_kind=Dispute.AgreementKind.WRITTEN,
        agreement="单雄信于十日内修复防水层，并赔偿魏永凯吊顶修复费用1500元。",
        responsibility="单雄信负主要责任。",
        performance_manner="修好后由调解员现场查看，赔偿款当面交付。",
        court_confirmation=False,
    )
    dispute.refresh_from_db()
    # A later correction of the facts, so the history has a content change to (not) show.
    dispute.facts += "另查明：卫生间漏水已持续两个月。"
    dispute.save()
    return dispute


def pages_of(client, dispute):
    urls = [
        admin_url("dispute_changelist"),
        admin_url("dispute_change", dispute.pk),
        admin_url("dispute_history", dispute.pk),
    ]
    return {url: client.get(url) for url in urls}


def test_superuser_reads_the_content_on_every_page(client_for, admin_user, concluded):
    pages = pages_of(client_for(admin_user), concluded)

    assert {url: response.status_code for url, response in pages.items()} == dict.fromkeys(pages, 200)
    change_page = pages[admin_url("dispute_change", concluded.pk)].content.decode()
    assert [text for text in CONTENT if text not in change_page] == []
    assert "另查明" in pages[admin_url("dispute_history", concluded.pk)].content.decode()
    listing = pages[admin_url("dispute_changelist")].content.decode()
    assert "楼上漏水致楼下受损" in listing and "魏永凯、单雄信" in listing


def test_staff_admin_sees_numbers_and_steps_but_no_content(client_for, clerk, concluded):
    client = client_for(clerk)
    pages = pages_of(client, concluded)

    for url, response in pages.items():
        assert response.status_code == 200, url
        page = response.content.decode()
        assert [text for text in CONTENT if text in page] == [], url
        assert concluded.number in page
    change_page = pages[admin_url("dispute_change", concluded.pk)].content.decode()
    assert "调解成功" in change_page and "张艳国" in change_page  # the state and who mediates
    assert "另查明" not in pages[admin_url("dispute_history", concluded.pk)].content.decode()
    history_id = concluded.history.latest().history_id
    assert client.get(admin_url("dispute_simple_history", concluded.pk, history_id)).status_code == 403


def test_staff_admin_searches_by_number_only(client_for, clerk, concluded):
    client = client_for(clerk)

    by_name = client.get(admin_url("dispute_changelist"), {"q": "魏永凯"}).context["cl"].result_list
    by_number = client.get(admin_url("dispute_changelist"), {"q": concluded.number[-5:]}).context["cl"].result_list

    assert list(by_name) == []
    assert list(by_number) == [concluded]


def test_superuser_searches_by_party_name(client_for, admin_user, concluded):
    found = client_for(admin_user).get(admin_url("dispute_changelist"), {"q": "单雄信"}).context["cl"].result_list

    assert list(found) == [concluded]


def test_content_admins_are_for_superusers_only(client_for, clerk, admin_user, concluded):
    names = ["party", "mediationsession", "followup", "disputemediator", "earlysign", "watchitem"]
    clerk_client = client_for(clerk)
    assert {name: clerk_client.get(admin_url(f"{name}_changelist")).status_code for name in names} == dict.fromkeys(
        names, 403
    )
    assert "mediation/party/" not in clerk_client.get(reverse("admin:index")).content.decode()

    admin_client = client_for(admin_user)
    assert {name: admin_client.get(admin_url(f"{name}_changelist")).status_code for name in names} == dict.fromkeys(
        names, 200
    )
    party = concluded.parties.first()
    assert admin_client.get(admin_url("party_change", party.pk)).status_code == 200
    assert admin_client.get(admin_url("party_history", party.pk)).status_code == 200


def test_superuser_corrects_wording_and_type_but_not_the_flow(client_for, admin_user, concluded):
    client = client_for(admin_user)
    url = admin_url("dispute_change", concluded.pk)
    page = client.get(url).context
    form = page["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    for inline in page["inline_admin_formsets"]:
        management = inline.formset.management_form
        data |= {management.add_prefix(name): value for name, value in management.initial.items()}
    data |= {"title": "楼上卫生间漏水致楼下受损", "dispute_type": "property", "state": "registered"}

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    concluded.refresh_from_db()
    assert (concluded.title, concluded.dispute_type, concluded.state) == (
        "楼上卫生间漏水致楼下受损",
        "property",
        "succeeded",
    )
    assert concluded.history.first().history_user == admin_user
    assert "state" not in form.fields and "number" not in form.fields


def test_disputes_are_not_added_in_the_admin(client_for, admin_user):
    assert client_for(admin_user).get(admin_url("dispute_add")).status_code == 403


def test_a_staff_cadre_lists_only_their_committees_disputes(client_for, cadre, other_community_cadre, dispute):
    other_community_cadre.is_staff = True
    other_community_cadre.save()
    other = StaffAssignment.objects.get(user=other_community_cadre).community
    GridFactory(community=other)
    theirs = register_dispute(
        community=other,
        by=other_community_cadre,
        parties=[outside_person("高秀兰")],
        dispute_type="neighbour",
        title="占用楼道",
        facts="楼道堆放杂物。",
        at=LAST_YEAR,
    )

    client = client_for(other_community_cadre)
    listed = client.get(admin_url("dispute_changelist")).context["cl"].result_list

    assert list(listed) == [theirs]
    assert client.get(admin_url("dispute_change", dispute.pk)).status_code == 302  # the admin's "no such row"
    assert client.get(admin_url("dispute_history", dispute.pk)).status_code == 404


def outside_person(name):
    return PartyData(side=Party.Side.APPLICANT, kind=Party.Kind.PERSON, name=name)


@pytest.fixture
def three_disputes(community, grid, household, other_household, cadre, roster, new_dispute):
    """The `new_dispute` (登记, neighbour, yellow, the `mediator` persona), an accepted red family dispute
    mediated by the teacher, and a rejected property dispute in another community with no mediator."""
    family = register_dispute(
        community=community,
        grid=grid,
        by=cadre,
        parties=[party_from_resident(household.residents.get(), side=Party.Side.APPLICANT)],
        mediators=[roster["teacher"]],
        dispute_type="family",
        risk=Dispute.Risk.RED,
        title="赡养费",
        facts="子女不付赡养费。",
    ).advance(Dispute.State.ACCEPTED, by=cadre)
    elsewhere = register_dispute(
        community=CommunityFactory(street=community.street, name="幸福里社区"),
        by=cadre,
        parties=[outside_person("物业公司")],
        dispute_type="property",
        title="物业费",
        facts="拒交物业费。",
        at=LAST_YEAR,
    ).advance(Dispute.State.REJECTED, by=cadre, reason="已起诉")
    return {"neighbour": new_dispute, "family": family, "elsewhere": elsewhere}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"neighbour", "family", "elsewhere"}),
        ({"state": "open"}, {"neighbour", "family"}),
        ({"state": "rejected"}, {"elsewhere"}),
        ({"dispute_type__exact": "family"}, {"family"}),
        ({"risk__exact": "red"}, {"family"}),
        ({"risk__exact": "yellow", "state": "registered"}, {"neighbour"}),
        ({"mediator": "teacher"}, {"family"}),
        ({"mediator": "veteran"}, set()),
        ({"community": "main"}, {"neighbour", "family"}),
    ],
)
def test_the_changelist_filters(client_for, clerk, community, roster, three_disputes, params, expected):
    if "mediator" in params:
        params = {"mediator": roster[params["mediator"]].pk}
    if "community" in params:
        params = {"community__id__exact": community.pk}
    names = {dispute.pk: name for name, dispute in three_disputes.items()}

    response = client_for(clerk).get(admin_url("dispute_changelist"), params)

    assert {names[dispute.pk] for dispute in response.context["cl"].result_list} == expected


def test_the_overdue_filter_lists_disputes_past_their_deadline(client_for, admin_user, dispute):
    client = client_for(admin_user)
    assert list(client.get(admin_url("dispute_changelist"), {"state": "overdue"}).context["cl"].result_list) == []

    Dispute.objects.filter(pk=dispute.pk).update(deadline=timezone.localdate() - timezone.timedelta(days=1))

    assert list(client.get(admin_url("dispute_changelist"), {"state": "overdue"}).context["cl"].result_list) == [
        dispute
    ]


def add_disputes(count, *, community, grid, household, other_household, by, roster):
    for index in range(count):
        register_dispute(
            community=community,
            grid=grid,
            by=by,
            parties=[
                party_from_resident(household.residents.get(), side=Party.Side.APPLICANT),
                party_from_resident(other_household.residents.get(), side=Party.Side.RESPONDENT),
            ],
            mediators=[roster["mediator"], roster["teacher"] if index % 2 else roster["veteran"]],
            dispute_type="neighbour",
            title=f"纠纷{index}",
            facts="事实",
        )


def changelist_queries(client, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(admin_url("dispute_changelist"), params or {})
    assert response.status_code == 200
    return len(queries), len(response.context["cl"].result_list)


@pytest.mark.parametrize("persona", ["admin_user", "clerk"])
def test_changelist_queries_do_not_grow_with_rows(
    request, client_for, community, grid, household, other_household, cadre, roster, persona
):
    client = client_for(request.getfixturevalue(persona))
    world = {"community": community, "grid": grid, "household": household, "other_household": other_household}
    add_disputes(3, by=cadre, roster=roster, **world)
    changelist_queries(client)  # a session's first request also writes the session
    few, listed = changelist_queries(client)
    assert listed == 3
    add_disputes(27, by=cadre, roster=roster, **world)

    assert changelist_queries(client) == (few, 30)
    teachers = DisputeMediator.objects.filter(mediator=roster["teacher"]).count()
    assert changelist_queries(client, {"mediator": roster["teacher"].pk})[1] == teachers > 0


def test_the_roster_lists_edits_skills_as_checkboxes_and_keeps_history(client_for, clerk, community, roster):
    client = client_for(clerk)
    listing = client.get(admin_url("mediator_changelist")).content.decode()
    assert "刘守义" in listing and "婚姻家庭、邻里" in listing

    page = client.get(admin_url("mediator_change", roster["veteran"].pk)).content.decode()
    assert 'type="checkbox" name="skills" value="housing"' in page and "checked" in page
    response = client.post(
        admin_url("mediator_add"),
        {
            "community": community.pk,
            "name": "孔繁德",
            "category": Mediator.Category.OLD_PARTY_MEMBER,
            "skills": ["neighbour", "family"],
            "phone": "13905371234",
            "is_active": "on",
            "note": "",
        },
    )

    assert response.status_code == 302
    added = Mediator.objects.get(name="孔繁德")
    assert added.skills == ["family", "neighbour"]  # in the choices' order
    assert added.history.count() == 1
    skilled = client.get(admin_url("mediator_changelist"), {"skill": "housing"}).context["cl"].result_list
    assert [m.name for m in skilled] == ["高建军"]
    assert client.get(admin_url("mediator_history", added.pk)).status_code == 200


def test_only_mediator_accounts_can_be_linked_to_the_roster(client_for, clerk, cadre, roster):
    form = client_for(clerk).get(admin_url("mediator_change", roster["veteran"].pk)).context["adminform"].form

    assert set(form.fields["user"].queryset) == {roster["mediator"].user, roster["teacher"].user}
