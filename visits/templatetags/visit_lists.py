"""The visit lists' repeated markup, written here rather than in template loops: a supervisor's task list and a
worker's day render dozens of task rows, the request list thirty requests, a community's cadre picks among a hundred
grids or more, and an included template per row cost more than the page's queries.

A task's row keeps the list's hooks: `id="task-<pk>"`, the `task-lateness` badge, and on a worker's own list
`data-offline-prefetch` on the action (static/js/offline/ keeps those forms for use without signal)."""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


def _lateness(task, today):
    if task.days_late:
        n = task.days_late
        text = ngettext("逾期 %(n)s 天", "逾期 %(n)s 天", n) % {"n": n}
        return format_html('<span class="badge text-bg-danger task-lateness">{}</span>', text)
    if task.late_since == today:
        return format_html('<span class="task-lateness">{}</span>', _("今天到期"))
    return format_html("{} {}", _("截止"), format_date(task.late_since, "m-d"))


@register.simple_tag
def task_row(task, today, supervisor, can_log):
    """The `<li>` of one task (on a queryset from `visits.day.rows`): the household and its head, the kind and
    its lateness, for a supervisor the assignee, and the action that does the task for whoever may log visits."""
    assignee = format_html(" · {}", task.assignee or _("未分派")) if supervisor else ""
    action = ""
    if can_log:
        action = format_html(
            '<a class="btn btn-danger text-nowrap" href="{}"{}>{}</a>',
            task.action_url,
            "" if supervisor else " data-offline-prefetch",
            task.action_label,
        )
    return format_html(
        '<li class="list-group-item d-flex justify-content-between align-items-center gap-2" id="task-{}">'
        '<span><a href="{}"><strong>{}</strong></a> {}<br><small>{} · {}{}</small></span>{}</li>',
        task.pk,
        reverse("household_detail", args=[task.household_id]),
        task.household.room_code,
        task.head_name or "",
        task.kind_label,
        _lateness(task, today),
        assignee,
        action,
    )


@register.simple_tag
def grid_options(grids):
    """The `<option>`s of the grid filter, from (pk, community name, grid name) rows in community order, in an
    `<optgroup>` per community."""
    groups = {}
    for pk, community, name in grids:
        groups.setdefault(community, []).append((pk, name))
    return format_html_join(
        "",
        '<optgroup label="{}">{}</optgroup>',
        (
            (community, format_html_join("", '<option value="{}">{}</option>', options))
            for community, options in groups.items()
        ),
    )


@register.simple_tag
def request_row(resident_request):
    """The link to one request (on the list's queryset, annotated `with_overdue`): its category, household and
    state, the start of its description, its deadline (and whether it has passed) and its assignee."""
    closed = resident_request.state == resident_request.State.CLOSED
    overdue = ""
    if resident_request.is_overdue:
        overdue = format_html(' <span class="badge text-bg-danger">{}</span>', _("已超时"))
    return format_html(
        '<a class="list-group-item list-group-item-action" href="{}" id="request-{}">'
        '<div class="d-flex justify-content-between gap-2"><strong>{} · {}</strong>'
        '<span class="badge {}">{}</span></div>'
        '<div class="small">{}</div>'
        '<div class="small text-body-secondary">{} {}{} · {}</div></a>',
        reverse("request_detail", args=[resident_request.pk]),
        resident_request.pk,
        resident_request.get_category_display(),
        resident_request.household.room_code,
        "text-bg-success" if closed else "text-bg-secondary",
        resident_request.get_state_display(),
        Truncator(resident_request.description).chars(60),
        _("时限"),
        format_date(timezone.localtime(resident_request.due_at), "m-d H:i"),
        overdue,
        resident_request.assignee or _("未派遣"),
    )
