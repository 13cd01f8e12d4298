"""The demo's verdict: in flight is not lost, but doubles and unsent events are wrong regardless."""

from __future__ import annotations

import pytest
from sluice_tools.local.demo import verdict


@pytest.mark.parametrize(
    ("drained", "exact", "doubled", "unsent", "expected"),
    [
        (True, True, 0, 0, "YES"),
        (True, False, 0, 0, "NO"),
        (False, False, 0, 0, "UNDECIDED"),  # still in flight: nothing called lost
        (False, False, 3, 0, "NO"),  # doubled rows do not get undone by waiting
        (False, False, 0, 2, "NO"),  # events the players could not send never arrive
        (False, True, 0, 0, "UNDECIDED"),
    ],
)
def test_the_demo_judges_only_what_waiting_cannot_change(drained, exact, doubled, unsent, expected):
    assert verdict(drained=drained, exact=exact, doubled=doubled, unsent=unsent) == expected
