"""Home visits, visit tasks and policies, resident requests and their steps — one module per topic.

The rules that belong to one row live with their model: when a visit may be dated (`validate_visit_time`), when
a task or a request is overdue (the `with_overdue` annotations, also behind `overdue()`), a task's lateness
(`with_lateness`), and the request's flow (`ResidentRequest.MOVES` and `advance`).
"""

from .requests import InvalidTransition, RequestEvent, ResidentRequest, ResidentRequestQuerySet
from .tasks import HANDOVER_DAYS, VisitTask, VisitTaskQuerySet, start_of_day
from .visits import CLOCK_SKEW, Visit, VisitPolicy, VisitStatus, validate_visit_time

__all__ = [
    "CLOCK_SKEW",
    "HANDOVER_DAYS",
    "InvalidTransition",
    "RequestEvent",
    "ResidentRequest",
    "ResidentRequestQuerySet",
    "Visit",
    "VisitPolicy",
    "VisitStatus",
    "VisitTask",
    "VisitTaskQuerySet",
    "start_of_day",
    "validate_visit_time",
]
