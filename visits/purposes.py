"""Why a visit was made. Kept apart from the models so that `visits.kinds` (which task kinds a visit of each
purpose completes) can read them without importing the models that use the kinds."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    ROUTINE = "routine", _("日常走访")
    PRIORITY_CARE = "priority_care", _("重点人群关爱")
    HEATING = "heating", _("供暖查看")
    DISPUTE_FOLLOW_UP = "dispute_follow_up", _("矛盾纠纷回访")
    POLICY = "policy", _("政策宣传")
    OTHER = "other", _("其他")
