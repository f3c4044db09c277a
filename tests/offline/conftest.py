"""The heating fixtures (a season running today, a company supplying the buildings), for the inspection form."""

from tests.heating.conftest import company, heating, season  # noqa: F401
