"""An address under the API's resources that leads nowhere is a 404 problem, whatever
characters it holds: Schemathesis, run against the served schema, sent a path with an
encoded line break (`%0A`) and got the site's HTML page."""

from __future__ import annotations

import pytest

from .support import problem

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tickets/1%0A2/assets/3/",
        "/api/v1/sites/1/%0A",
        "/api/v1/tickets/%0A",
        "/api/v1/me/%0D%0Ax",
    ],
)
def test_a_line_break_in_the_path_is_a_404_problem(cast, api, path):
    body = problem(api(cast.alice).get(path), 404)
    assert body["detail"].endswith("the endpoints are listed at /api/docs/.")
    problem(api().delete(path), 404)
