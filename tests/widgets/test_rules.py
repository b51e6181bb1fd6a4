"""The local rules the forms apply, and the names they accept, checked directly."""

from __future__ import annotations

import pytest

from clc_notebook.widgets.actions import action_key
from clc_notebook.widgets.validation import check_name, check_password, check_range, check_types, split_model_state


@pytest.mark.parametrize(
    "name, alias, ok",
    [
        ("web", "ALIAS", True),
        ("web-1", "ALIAS", True),
        ("abcde", "ALIAS", True),
        ("abcdef", "ALIAS", False),
        ("abcdefgh", "AB", True),
        ("abcdefghi", "AB", False),
        ("we b", "AB", False),
        ("wéb", "AB", False),
        ("", "AB", False),
        ("web\n", "AB", False),
    ],
)
def test_name_rule_is_charset_plus_alias_length(name, alias, ok):
    assert (check_name(name, alias) is None) == ok


def test_ranges_and_types():
    assert check_range(1, 1, 16) is None and check_range(16, 1, 16) is None
    assert "from 1 to 16 (got 17)" in check_range(17, 1, 16)
    assert "whole number" in check_range(True, 1, 16) and "whole number" in check_range(None, 1, 16)
    assert check_types("standard", "premium") is None and check_types("hyperscale", "hyperscale") is None
    assert check_types("hyperscale", "standard") and check_types("standard", "hyperscale")


def test_password_message_names_the_characters_not_the_password():
    assert check_password("") is None and check_password("Good-Pass_123!") is None
    message = check_password("secret<&>word")
    assert "& < >" in message and "secret" not in message


def test_model_state_keys_map_to_form_fields():
    by_field, general = split_model_state(
        {
            "body.cpu": ["The field cpu must be between 1 and 16."],
            "body.memoryGB": ["too much"],
            "body.SourceServerId": ["no such template"],
            "body.groupId": ["no such group"],
            "body.networkId": ["not valid"],
            "name": "bare string",
            "": ["The request is invalid as a whole."],
            "body.ipAddress": ["not in the network"],
        }
    )
    assert by_field == {
        "cpu": "The field cpu must be between 1 and 16.",
        "memory_gb": "too much",
        "template": "no such template",
        "group": "no such group",
        "network": "not valid",
        "name": "bare string",
    }
    assert general == ["The request is invalid as a whole.", "not in the network"]


@pytest.mark.parametrize("spelling", ["power_off", "Power off", "power-off", "powerOff", " POWER OFF "])
def test_action_names_are_accepted_in_any_usual_spelling(spelling):
    assert action_key(spelling) == "power_off"


def test_unknown_action_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown action 'fly'; the actions are: reboot, power_on"):
        action_key("fly")
