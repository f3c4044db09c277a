"""Input for visits and resident requests: the visit form and its raised-request section, the printed sheet's
back-entry rows, the request forms. Every date check of a visit goes through `validate_visit_time`."""

import datetime
import io
import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from grids.staffing import staff_of_grid

from .models import ResidentRequest, Visit, validate_visit_time
from .services import RaisedRequest

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
# What an image file carries besides its pixels that Pillow would write again: where and when it was taken.
PHOTO_METADATA = ("exif", "xmp", "XML:com.adobe.xmp", "comment")


def validate_photo(upload):
    """Accept a photo only when its content is an image Pillow can verify, within the size limits.

    The extension and the browser's content type are not trusted. Returns the photo without its metadata
    (`without_metadata`) under a random name with the extension of the detected format.
    """
    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError(_("照片不能超过 5 MB，请压缩后重新上传。"))
    not_a_photo = _("只能上传照片（JPEG、PNG、WebP 或 GIF），该文件不是有效的图片。")
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
        if image_format not in PHOTO_FORMATS:
            raise ValidationError(not_a_photo)
        if width * height > PHOTO_MAX_PIXELS:
            raise ValidationError(_("照片像素过大，请缩小后重新上传。"))
        content = without_metadata(upload, image_format)  # decodes every pixel: a truncated file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ValidationError(not_a_photo) from error
    return ContentFile(content, name=f"{uuid.uuid4().hex}.{PHOTO_FORMATS[image_format]}")


def without_metadata(upload, image_format):
    """The photo's bytes written again from its pixels alone: a phone's EXIF holds where it was taken (GPS), when
    and on what. It is turned upright first by its EXIF orientation, which goes with the rest; an animation keeps
    its frames."""
    upload.seek(0)
    with Image.open(upload) as image:
        animated = getattr(image, "n_frames", 1) > 1
        photo = image if animated else ImageOps.exif_transpose(image)
        for key in PHOTO_METADATA:
            photo.info.pop(key, None)
        output = io.BytesIO()
        options = {"quality": 90} if image_format == "JPEG" else {}
        photo.save(output, format=image_format, save_all=animated, **options)
    return output.getvalue()


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
    problem = forms.CharField(
        label=_("问题"),
        help_text=_("了解到的情况、居民反映或发现的问题"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    handling = forms.ChoiceField(
        label=_("处理方式"),
        choices=[("", _("无需处理")), *Visit.Handling.choices],
        required=False,
        initial="",
        widget=forms.RadioSelect,
        help_text=_("带回社区或立即上报的问题，保存时自动登记为民情诉求（立即上报按紧急办理）"),
    )
    problem_category = forms.ChoiceField(
        label=_("问题类别"),
        choices=[("", _("（当场解决时不用选）")), *ResidentRequest.Category.choices],
        required=False,
        help_text=_("带回社区或立即上报时选择，用于登记诉求"),
    )
    measures = forms.CharField(
        label=_("处理措施"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    feedback = forms.CharField(
        label=_("反馈结果"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
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
        before = [name for name in ("token", "visited_at", "outcome", "purposes", "visitors") if name in self.fields]
        self.helper.layout = Layout(
            *before,
            Fieldset(
                _("走访情况"),
                "problem",
                "handling",
                "problem_category",
                "measures",
                "feedback",
                css_class="border rounded px-2 pt-2 mb-3 visit-record",
            ),
            "photo",
        )

    def clean_visited_at(self):
        visited_at = self.cleaned_data["visited_at"]
        validate_visit_time(self.household, visited_at)
        return visited_at

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        return validate_photo(photo) if photo else None

    def clean(self):
        cleaned = super().clean()
        handling = cleaned.get("handling")
        if handling and not cleaned.get("problem", "").strip():
            self.add_error("problem", _("选择了处理方式，请写明问题。"))
        if handling in (Visit.Handling.TAKEN_BACK, Visit.Handling.REPORTED) and not cleaned.get("problem_category"):
            self.add_error("problem_category", _("带回社区或立即上报的问题会登记为诉求，请选择问题类别。"))
        return cleaned


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


class BaseRaisedRequestFormSet(forms.BaseFormSet):
    """The raised requests as a section of the visit form (built like every section, with household and user)."""

    def __init__(self, *args, household=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)


RaisedRequestFormSet = forms.formset_factory(
    RaisedRequestForm, formset=BaseRaisedRequestFormSet, extra=2, max_num=10, absolute_max=10
)


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


class RequestAdvanceForm(forms.Form):
    """One step of a request (`ResidentRequest.advance`); which fields matter depends on the move (assignee for 派遣, satisfaction at 核查)."""

    assignee = forms.ModelChoiceField(label=_("承办人"), queryset=get_user_model().objects.none(), required=False)
    satisfaction = forms.ChoiceField(
        label=_("居民满意度"),
        choices=[("", "---------"), *ResidentRequest.Satisfaction.choices],
        required=False,
    )
    note = forms.CharField(
        label=_("办理说明"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, resident_request, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_of_grid(resident_request.household.building.grid)
        self.helper = FormHelper()
        self.helper.form_tag = False


# The sheet asks for a day; `validate_visit_time`'s answers worded for a day.
SHEET_DATE_ERRORS = {
    "future": _("走访日期不能晚于今天。"),
    "before_household": _("走访日期不能早于该户登记时间。"),
}


class SheetRowForm(forms.Form):
    """One household row of a printed weekly sheet, entered afterwards.

    `households` ({id: household}) are the sheet's households; a valid ticked row has `household` and
    `visited_at` (noon of the day, or now if that is earlier, and never before the household was registered)
    in its cleaned data.
    """

    household_id = forms.IntegerField(widget=forms.HiddenInput)
    visited = forms.BooleanField(label=_("已走访"), required=False)
    visited_on = forms.DateField(label=_("走访日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    outcome = forms.ChoiceField(label=_("结果"), choices=Visit.Outcome.choices, initial=Visit.Outcome.MET)
    # The 情况记录 line of the paper sheet: the visit's 问题 (measures and feedback are added on the visit page).
    problem = forms.CharField(label=_("情况记录"), required=False, max_length=2000)

    def __init__(self, *args, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.households = households

    def clean(self):
        cleaned = super().clean()
        household = self.households.get(cleaned.get("household_id"))
        if household is None:
            raise ValidationError(_("该户不在本表中，请重新打开录入页。"))
        cleaned["household"] = household
        if not cleaned.get("visited"):
            return cleaned
        visited_on = cleaned.get("visited_on")
        if not visited_on:
            self.add_error("visited_on", _("请填写走访日期。"))
            return cleaned
        visited_at = _sheet_time(visited_on, household)
        try:
            validate_visit_time(household, visited_at)
        except ValidationError as error:
            self.add_error("visited_on", SHEET_DATE_ERRORS.get(error.code, error.messages[0]))
            return cleaned
        cleaned["visited_at"] = visited_at
        return cleaned


def _sheet_time(visited_on, household):
    """When a visit entered as a day happened: noon, or now if that is earlier today, and not before the
    household was registered that same day."""
    visited_at = timezone.make_aware(datetime.datetime.combine(visited_on, datetime.time(12)))
    if visited_on == timezone.localdate():
        visited_at = min(visited_at, timezone.now())
    if visited_on == timezone.localtime(household.created_at).date():
        visited_at = max(visited_at, household.created_at)
    return visited_at


SheetFormSet = forms.formset_factory(SheetRowForm, extra=0, max_num=500, absolute_max=500)
