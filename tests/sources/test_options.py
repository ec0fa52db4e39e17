"""The source's options: one typed object, every check and message in one place."""

from __future__ import annotations

import pytest

from sources.asana.errors import InvalidOptionError
from sources.asana.options import NO_TOKEN, SourceOptions


def test_list_options_take_a_list_json_or_a_comma_separated_string():
    assert SourceOptions.of(workspaces="1,2").workspaces == ("1", "2")
    assert SourceOptions.of(workspaces='["1", " 2 "]').workspaces == ("1", "2")
    assert SourceOptions.of(teams=["3"], workspaces=None).teams == ("3",)


@pytest.mark.parametrize("values,needle", [
    ({}, NO_TOKEN),
    ({"access_token": "t", "max_concurrency": 51}, "max_concurrency must be a whole number from 1 to 50"),
    ({"access_token": "t", "page_size": True}, "page_size must be a whole number"),
    ({"access_token": "t", "reconcile": "sometimes"}, "reconcile must be auto, always or never"),
    ({"access_token": "t", "attachments": "maybe"}, "attachments must be auto, always, stories or never"),
    ({"access_token": "t", "reconcile_interval_hours": 0}, "reconcile_interval_hours must be a number of hours"),
    ({"access_token": "t", "teams": "1", "exclude_teams": "2"}, "set teams or exclude_teams, not both"),
    ({"access_token": "t", "teams": "Marketing"}, "teams are named by gid (digits), not 'Marketing'"),
    ({"access_token": "t", "base_url": "ftp://x"}, "scheme 'ftp' is not http or https"),
    ({"access_token": "t", "max_attempts": 0}, "max_attempts must be a whole number from 1 to 100"),
])
def test_each_option_that_cannot_work_is_named(values, needle):
    with pytest.raises(InvalidOptionError) as raised:
        SourceOptions.of(**values).checked()
    assert needle in str(raised.value)


def test_unknown_options_are_refused_and_the_token_never_shows():
    with pytest.raises(InvalidOptionError, match="unknown source option"):
        SourceOptions.of(acess_token="secret")
    assert "secret" not in repr(SourceOptions.of(access_token="secret"))


def test_the_retry_policy_follows_the_options():
    policy = SourceOptions.of(access_token="t", max_attempts=3, throttle_patience_seconds=60).retry_policy()
    assert (policy.max_attempts, policy.throttle_patience) == (3, 60)
    assert policy.delay_after_failure(2) is not None and policy.delay_after_failure(3) is None
