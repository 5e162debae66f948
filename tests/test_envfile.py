"""Importing environment variables from `.env` text and JSON."""
import pytest
from django.core.exceptions import ValidationError

from hosting import rules
from hosting.envfile import parse_any, parse_dotenv, parse_json


def test_dotenv_understands_comments_quotes_and_export():
    text = """
# database
export DB_HOST=db.local
DB_PASS="p@ss word # not a comment"
GREETING='hi there'
PLAIN=value # trailing comment
EMPTY=
ESCAPED="line\\"quote"
"""
    assert parse_dotenv(text) == [
        ("DB_HOST", "db.local"), ("DB_PASS", "p@ss word # not a comment"),
        ("GREETING", "hi there"), ("PLAIN", "value"), ("EMPTY", ""), ("ESCAPED", 'line"quote'),
    ]


def test_dotenv_names_the_line_without_an_equals_sign():
    with pytest.raises(ValidationError) as caught:
        parse_dotenv("A=1\nnot a pair\n")
    assert "line 2" in caught.value.message_dict["env"][0]


def test_dotenv_reports_an_unclosed_quote():
    with pytest.raises(ValidationError, match="unclosed quote"):
        parse_dotenv('A="oops\n')


def test_json_object_keeps_duplicates_so_they_can_be_refused():
    pairs = parse_json('{"A": "1", "B": 2, "A": true}')
    assert pairs == [("A", "1"), ("B", "2"), ("A", "true")]
    with pytest.raises(ValidationError, match="more than once"):
        rules.check_env_pairs(pairs)


def test_json_list_of_name_value_objects():
    assert parse_json('[{"name": "A", "value": "x"}]') == [("A", "x")]


@pytest.mark.parametrize("text", ["{", "[1, 2]", '"just text"', '{"A": {"nested": 1}}'])
def test_json_that_is_not_a_mapping_is_refused(text):
    with pytest.raises(ValidationError):
        parse_json(text)


def test_parse_any_picks_the_format():
    assert parse_any('{"A": "1"}') == [("A", "1")]
    assert parse_any("A=1") == [("A", "1")]
