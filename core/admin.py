"""What every app's admin shares: rows limited to what the user may see, and input that cannot make a 500.

`ScopedAdminMixin` goes in front of an app's `ModelAdmin`. For anyone but a superuser every row the admin reads
comes through `scope(queryset, user)` — by default the model's `visible_to(user)`: the changelist, the change,
delete and history pages (Django and django-simple-history fetch them through `get_queryset`, or are checked
here), autocomplete answers and exports. The choices of a foreign key or many-to-many field whose model has a
`visible_to` are scoped the same way, so a form cannot point at a row out of scope either.

Input is bounded: a search reads at most `SEARCH_WORDS` words, a changelist's queries stop after
`CHANGELIST_SECONDS` on PostgreSQL (a message, not a page that hangs), an export given a filter that is no
field is a 400, and a form posted back with a value that is no id shows its error (`AutocompleteIdsMixin`).
"""

from contextlib import contextmanager

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import BadRequest, ValidationError
from django.db import OperationalError, connection, transaction
from django.http import Http404, HttpResponseRedirect
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

SEARCH_WORDS = 8
# Django's own text, translated by Django's catalogue (a name, so that makemessages leaves it to Django's).
DJANGO_ACTION_LABEL = "Select this object for an action - {}"
CHANGELIST_SECONDS = 15
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement stopped by statement_timeout


def bounded_search(term):
    """The first `SEARCH_WORDS` words of an admin search (each word is one more join or subquery)."""
    return " ".join(term.split()[:SEARCH_WORDS])


@contextmanager
def statement_timeout(seconds):
    """Run the block in a transaction whose statements PostgreSQL stops after `seconds` (other databases: as is)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = %s", [int(seconds * 1000)])
        yield
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout TO DEFAULT")  # when the block was nested in a transaction


def was_canceled(error):
    return getattr(error.__cause__, "pgcode", None) == QUERY_CANCELED


def _ids_only(widget, values):
    """The values that can be ids of the widget's related rows (a form may be posted back with "²" there)."""
    opts = widget.field.remote_field.model._meta
    target = opts.get_field(getattr(widget.field.remote_field, "field_name", opts.pk.attname))
    kept = []
    for value in values:
        try:
            target.to_python(value)
        except (ValidationError, ValueError, TypeError):
            continue
        kept.append(value)
    return kept


class IdsOnlyAutocompleteSelect(AutocompleteSelect):
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, _ids_only(self, value), attr)


class IdsOnlyAutocompleteSelectMultiple(AutocompleteSelectMultiple):
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, _ids_only(self, value), attr)


class AutocompleteIdsMixin:
    """Autocomplete fields that re-render a form posted with a value that is no id: Django's widget looks the value
    up to show its label, and a "²" there was a 500 instead of the field's error. For admins and their inlines."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = IdsOnlyAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = IdsOnlyAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ScopedAdminMixin(AutocompleteIdsMixin):
    """Lists, opens, searches and exports only the rows `scope` leaves, for anyone but a superuser."""

    def scope(self, queryset, user):
        return queryset.visible_to(user)

    def action_checkbox(self, obj):
        """Django's row checkbox, written out: rendering a form widget's templates for each of 50 rows was a third
        of a changelist's time."""
        label = format_html(gettext(DJANGO_ACTION_LABEL), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return self.scope(queryset, request.user)

    def get_field_queryset(self, db, db_field, request):
        queryset = super().get_field_queryset(db, db_field, request)
        if request.user.is_superuser:
            return queryset
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(db)
        return queryset.visible_to(request.user) if hasattr(queryset, "visible_to") else queryset

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, bounded_search(search_term))

    def changelist_view(self, request, extra_context=None):
        if request.method != "GET":
            return super().changelist_view(request, extra_context)
        try:
            with statement_timeout(CHANGELIST_SECONDS):
                response = super().changelist_view(request, extra_context)
                if hasattr(response, "render"):
                    response.render()  # the list's queries run here, inside the bound
        except OperationalError as error:
            if not was_canceled(error):
                raise
            messages.error(request, _("查询用时过长，已停止。请减少搜索词，或先按网格等条件筛选。"))
            return HttpResponseRedirect(request.path)
        return response

    def get_export_queryset(self, request):
        try:
            return super().get_export_queryset(request)
        except IncorrectLookupParameters as error:
            raise BadRequest("unknown export filter") from error

    def history_view(self, request, object_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """A past version (django-simple-history): only of a row the user may still see."""
        self._require_in_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _require_in_scope(self, request, object_id):
        # django-simple-history falls back to the latest historical row when get_queryset misses the object.
        if not request.user.is_superuser and self.get_object(request, unquote(object_id)) is None:
            raise Http404
