"""A record that moves through states one legal step at a time, each step recorded (resident requests, heating
tickets, and any later app's cases).

A model lists its legal steps in `MOVES` ({(from, to): button label}) and its states in a nested `State`
(TextChoices), and says in two hooks what a step needs and what it leaves behind:

    class HeatingTicket(StateFlow, models.Model):
        MOVES = {(State.REPORTED, State.ACCEPTED): _("供热公司已受理"), ...}
        UNKNOWN_STATE = _("未知的报修单状态。")

        def prepare_move(self, to_state, at, **details): ...   # check and set fields; raise InvalidMove
        def record_move(self, from_state, to_state, *, by, at, note): ...   # write the event row

`advance()` locks the row, so two people pressing buttons at once cannot both move it from the same state, and
runs both hooks and the save in one transaction.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class InvalidMove(ValidationError):
    """A step the flow does not allow, or one that lacks what it needs."""


class StateFlow:
    MOVES = {}
    UNKNOWN_STATE = _("未知的状态。")

    def allowed_moves(self):
        """(to_state, label) for each move the flow allows from the current state."""
        return [(to, label) for (frm, to), label in self.MOVES.items() if frm == self.state]

    def prepare_move(self, to_state, at, **details):
        """Check what this step needs and set the fields it changes (on the locked row); raise InvalidMove."""

    def record_move(self, from_state, to_state, *, by, at, note):
        """Write the event row that records this step."""
        raise NotImplementedError

    def advance(self, to_state, *, by, note="", at=None, **details):
        """Move to `to_state`, recording who, when and why; raises InvalidMove (or the model's subclass of it)
        on any step the flow does not allow."""
        at = at or timezone.now()
        with transaction.atomic():
            current = type(self).objects.select_for_update().get(pk=self.pk)
            if (current.state, to_state) not in self.MOVES:
                raise self.invalid_move(current, to_state)
            current.prepare_move(to_state, at, **details)
            from_state, current.state = current.state, to_state
            current.save()
            current.record_move(from_state, to_state, by=by, at=at, note=note)
        self.refresh_from_db()
        return self

    @classmethod
    def invalid_move(cls, current, to_state):
        error = cls.InvalidMoveError if hasattr(cls, "InvalidMoveError") else InvalidMove
        if to_state not in cls.State.values:
            return error(cls.UNKNOWN_STATE)
        return error(
            _("不能从“%(from)s”转到“%(to)s”。") % {"from": current.get_state_display(), "to": cls.State(to_state).label}
        )
