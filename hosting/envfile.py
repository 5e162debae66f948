"""Import environment variables from `.env` text or JSON, keeping duplicates visible.

Both parsers return a list of (name, value) pairs in file order; `rules.check_env_pairs`
then rejects bad names and duplicates with one message for every source.
"""
import json
import shlex

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def parse_dotenv(text: str) -> list[tuple[str, str]]:
    pairs = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        name, sep, value = line.partition("=")
        if not sep:
            raise ValidationError(
                {"env": _("env: line %(n)d has no '=': %(line)s") % {"n": number, "line": raw}}
            )
        pairs.append((name.strip(), _dotenv_value(value.strip(), number)))
    return pairs


def _dotenv_value(value: str, number: int) -> str:
    if value[:1] in {'"', "'"}:
        try:
            # shlex understands both quote styles and backslash escapes in "..."
            parts = shlex.split(value, comments=True)
        except ValueError:
            raise ValidationError({"env": _("env: line %(n)d has an unclosed quote.") % {"n": number}})
        return parts[0] if parts else ""
    # Unquoted: an inline comment starts at " #".
    return value.split(" #", 1)[0].rstrip()


def parse_json(text: str) -> list[tuple[str, str]]:
    try:
        data = json.loads(text, object_pairs_hook=lambda items: items)
    except json.JSONDecodeError as exc:
        raise ValidationError({"env": _("env: not valid JSON (%(err)s).") % {"err": exc.msg}})
    if isinstance(data, list) and all(isinstance(i, tuple) for i in data):
        return [(name, _json_scalar(value)) for name, value in data]
    if isinstance(data, list):  # [{"name": ..., "value": ...}, ...]
        try:
            return [(item_dict["name"], _json_scalar(item_dict.get("value", "")))
                    for item_dict in (dict(i) for i in data)]
        except (TypeError, KeyError, ValueError):
            pass
    raise ValidationError(
        {"env": _('env: JSON must be an object {"NAME": "value"} or a list of {"name", "value"}.')}
    )


def _json_scalar(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if value is None:
        return ""
    raise ValidationError({"env": _("env: values must be text, numbers or booleans.")})


def parse_any(text: str) -> list[tuple[str, str]]:
    """JSON when it looks like JSON, `.env` otherwise (what a pasted box or file holds)."""
    return parse_json(text) if text.lstrip()[:1] in {"{", "["} else parse_dotenv(text)
