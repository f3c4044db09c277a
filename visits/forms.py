import uuid

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from .models import ResidentRequest, Visit
from .services import RaisedRequest

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


def validate_photo(upload):
    """Accept a photo only when its content is an image Pillow can verify, within the size limits.

    The extension and the browser's content type are not trusted. Returns the upload renamed to a random
    name with the extension of the detected format.
    """
    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError(_("照片不能超过 5 MB，请压缩后重新上传。"))
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ValidationError(_("只能上传照片（JPEG、PNG、WebP 或 GIF），该文件不是有效的图片。")) from error
    if image_format not in PHOTO_FORMATS:
        raise ValidationError(_("只能上传照片（JPEG、PNG、WebP 或 GIF），该文件不是有效的图片。"))
    if width * height > PHOTO_MAX_PIXELS:
        raise ValidationError(_("照片像素过大，请缩小后重新上传。"))
    upload.seek(0)
    upload.name = f"{uuid.uuid4().hex}.{PHOTO_FORMATS[image_format]}"
    return upload


def staff_of_grid(grid):
    """Staff assigned to this grid or to its community: the people who may have come along on a visit."""
    return (
        get_user_model()
        .objects.filter(Q(assignments__grid=grid) | Q(assignments__community=grid.community_id), is_active=True)
        .distinct()
        .order_by("full_name", "username")
    )


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class VisitForm(forms.Form):
    token = forms.UUIDField(widget=forms.HiddenInput)
    visited_at = forms.DateTimeField(
        label=_("走访时间"), widget=LocalDateTimeInput(), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    outcome = forms.ChoiceField(
        label=_("走访结果"), choices=Visit.Outcome.choices, initial=Visit.Outcome.MET, widget=forms.RadioSelect
    )
    purposes = forms.MultipleChoiceField(
        label=_("走访事由"),
        choices=Visit.Purpose.choices,
        initial=[Visit.Purpose.ROUTINE],
        widget=forms.CheckboxSelectMultiple,
    )
    visitors = forms.ModelMultipleChoiceField(
        label=_("同行人员"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    findings = forms.CharField(
        label=_("了解情况"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    photo = forms.FileField(
        label=_("现场照片（可选，5 MB 以内）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def __init__(self, *args, household, user, **kwargs):
        self.household = household
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("token", uuid.uuid4())
        kwargs["initial"].setdefault("visited_at", timezone.localtime().replace(second=0, microsecond=0))
        super().__init__(*args, **kwargs)
        self.fields["visitors"].queryset = staff_of_grid(household.building.grid).exclude(pk=user.pk)
        if not self.fields["visitors"].queryset.exists():
            del self.fields["visitors"]  # an empty "同行人员" heading only puzzles a worker who visits alone
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_visited_at(self):
        visited_at = self.cleaned_data["visited_at"]
        if visited_at > timezone.now() + timezone.timedelta(minutes=5):
            raise ValidationError(_("走访时间不能晚于现在。"))
        # The form works in whole minutes; a household registered this minute can be visited this minute.
        if visited_at < self.household.created_at.replace(second=0, microsecond=0):
            raise ValidationError(_("走访时间不能早于该户登记时间。"))
        return visited_at

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        return validate_photo(photo) if photo else None


class RaisedRequestForm(forms.Form):
    category = forms.ChoiceField(label=_("诉求类别"), choices=[("", "---------"), *ResidentRequest.Category.choices])
    urgency = forms.ChoiceField(
        label=_("紧急程度"), choices=ResidentRequest.Urgency.choices, initial=ResidentRequest.Urgency.NORMAL
    )
    description = forms.CharField(label=_("诉求内容"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def has_changed(self):
        # The urgency has an initial value; a row counts as filled in only when it has a category or text.
        return bool(self.data.get(self.add_prefix("category")) or self.data.get(self.add_prefix("description")))

    def to_raised(self):
        return RaisedRequest(
            category=self.cleaned_data["category"],
            description=self.cleaned_data["description"],
            urgency=self.cleaned_data["urgency"],
        )


RaisedRequestFormSet = forms.formset_factory(RaisedRequestForm, extra=2, max_num=10, absolute_max=10)


class RequestForm(forms.ModelForm):
    class Meta:
        model = ResidentRequest
        fields = ["category", "urgency", "channel", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].initial = ResidentRequest.Channel.WALK_IN
        self.helper = FormHelper()
        self.helper.form_tag = False


class RequestMoveForm(forms.Form):
    """One move of a request; which fields matter depends on the move (assignee for 派遣, satisfaction at 核查)."""

    assignee = forms.ModelChoiceField(label=_("承办人"), queryset=get_user_model().objects.none(), required=False)
    satisfaction = forms.ChoiceField(
        label=_("居民满意度"),
        choices=[("", "---------"), *ResidentRequest.Satisfaction.choices],
        required=False,
    )
    note = forms.CharField(
        label=_("办理说明"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, request_obj, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_of_grid(request_obj.household.building.grid)
        self.helper = FormHelper()
        self.helper.form_tag = False


class SheetRowForm(forms.Form):
    """One household row of a printed weekly sheet, entered afterwards."""

    household_id = forms.IntegerField(widget=forms.HiddenInput)
    visited = forms.BooleanField(label=_("已走访"), required=False)
    visited_on = forms.DateField(label=_("走访日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    outcome = forms.ChoiceField(label=_("结果"), choices=Visit.Outcome.choices, initial=Visit.Outcome.MET)
    findings = forms.CharField(label=_("了解情况"), required=False, max_length=2000)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("visited"):
            visited_on = cleaned.get("visited_on")
            if not visited_on:
                self.add_error("visited_on", _("请填写走访日期。"))
            elif visited_on > timezone.localdate():
                self.add_error("visited_on", _("走访日期不能晚于今天。"))
        return cleaned


SheetFormSet = forms.formset_factory(SheetRowForm, extra=0, max_num=500, absolute_max=500)
