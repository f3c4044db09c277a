from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import Notification, User
from grids.models import StaffAssignment
from tests.factories import UserFactory


def change_data(user, **overrides):
    data = {
        "username": user.username,
        "full_name": user.full_name,
        "phone": "13800000000",
        "email": "",
        "role": user.role,
        "is_active": "on",
        "is_staff": "",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "08:00:00",
        "assignments-TOTAL_FORMS": "0",
        "assignments-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_saving_a_user_as_cadre_puts_them_in_the_cadre_group_only(client_for, admin_user):
    worker = UserFactory(username="grid07", full_name="赵敏", role=User.Role.GRID_WORKER)
    mediators = Group.objects.get(name="调解员")

    response = client_for(admin_user).post(
        reverse("admin:accounts_user_change", args=[worker.pk]),
        change_data(worker, role=User.Role.CADRE, groups=[mediators.pk]),
    )

    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.role == User.Role.CADRE
    assert list(worker.groups.values_list("name", flat=True)) == ["社区干部"]
    assert worker.phone == "13800000000"


def test_adding_a_user_puts_them_in_their_role_group(client_for, admin_user):
    response = client_for(admin_user).post(
        reverse("admin:accounts_user_add"),
        {
            "username": "leader2",
            "full_name": "孙书记",
            "phone": "",
            "role": User.Role.LEADER,
            "usable_password": "true",
            "password1": "Jinse-strong-2026",
            "password2": "Jinse-strong-2026",
            "assignments-TOTAL_FORMS": "0",
            "assignments-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(username="leader2")
    assert list(user.groups.values_list("name", flat=True)) == ["街道领导"]


def test_user_change_page_shows_role_fields_and_grid_assignments(client_for, admin_user, grid_worker):
    response = client_for(admin_user).get(reverse("admin:accounts_user_change", args=[grid_worker.pk]))

    assert response.status_code == 200
    text = response.text
    for label in ("姓名", "手机号", "角色", "负责的网格节点", "东区第一网格"):
        assert label in text


def test_user_assignment_inline_saves_a_grid(client_for, admin_user, grid):
    worker = UserFactory(username="grid08", full_name="钱多", role=User.Role.GRID_WORKER)

    response = client_for(admin_user).post(
        reverse("admin:accounts_user_change", args=[worker.pk]),
        change_data(worker, **{"assignments-TOTAL_FORMS": "1", "assignments-0-grid": grid.pk}),
    )

    assert response.status_code == 302
    assert StaffAssignment.objects.filter(user=worker, grid=grid).exists()


def test_user_list_filters_by_role_and_searches_names(client_for, admin_user, grid_worker, cadre):
    client = client_for(admin_user)

    by_role = client.get(reverse("admin:accounts_user_changelist"), {"role__exact": "cadre"})
    by_name = client.get(reverse("admin:accounts_user_changelist"), {"q": "张立平"})

    assert [u.username for u in by_role.context["cl"].result_list] == ["cadre"]
    assert [u.username for u in by_name.context["cl"].result_list] == ["grid01"]


def test_notifications_are_listed_read_only(client_for, admin_user, grid_worker):
    note = Notification.objects.create(user=grid_worker, key="digest-1", title="今日走访提醒")
    client = client_for(admin_user)

    listing = client.get(reverse("admin:accounts_notification_changelist"))
    detail = client.get(reverse("admin:accounts_notification_change", args=[note.pk]))

    assert listing.status_code == 200
    assert "今日走访提醒" in listing.text
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.text
    assert client.get(reverse("admin:accounts_notification_add")).status_code == 403
