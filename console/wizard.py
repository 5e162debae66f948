"""The version wizard's draft: what the user typed in both steps, kept in the session.

Back and next never lose anything: every POST first stores the raw values (even invalid
ones, so they are shown again next to their error), then validates only its step with
hosting.domain.config.validate_step.
"""
from dataclasses import asdict

from django.core.exceptions import ValidationError

from hosting import envfile
from hosting.domain.config import STEP1_FIELDS, STEP2_FIELDS, VersionConfig, validate_step
from hosting.domain.versions import starting_config
from hosting.models import Service

INT_FIELDS = ("port", "min_replicas", "max_replicas", "cpu_target", "initial_delay_seconds")


def _key(service: Service) -> str:
    return f"console_wizard_{service.pk}"


def start(service: Service) -> dict:
    """A new draft from the domain's starting config (the latest live version's)."""
    config = starting_config(service)
    draft = asdict(config)
    draft["env"] = [list(pair) for pair in config.env]
    return draft


def load(session, service: Service) -> dict:
    return session.get(_key(service)) or start(service)


def save(session, service: Service, draft: dict) -> None:
    session[_key(service)] = draft


def discard(session, service: Service) -> None:
    session.pop(_key(service), None)


def _number(raw: str):
    """An int when the text is one, else the text itself (kept to show it again)."""
    raw = (raw or "").strip()
    try:
        return int(raw)
    except ValueError:
        return raw


def read_step1(post, draft: dict) -> dict:
    return {**draft,
            "image_tag": post.get("image_tag", "").strip(),
            "port": _number(post.get("port", "")),
            "traffic_policy": post.get("traffic_policy", ""),
            "description": post.get("description", "")}


def read_step2(post, draft: dict) -> dict:
    names, values = post.getlist("env_name"), post.getlist("env_value")
    env = [[n.strip(), v] for n, v in zip(names, values, strict=False) if n.strip() or v]
    paths = [p.strip() for p in post.getlist("log_paths")]
    return {**draft,
            "resource_spec": post.get("resource_spec", ""),
            "min_replicas": _number(post.get("min_replicas", "")),
            "max_replicas": _number(post.get("max_replicas", "")),
            "cpu_target": _number(post.get("cpu_target", "")),
            "log_paths": [p for p in paths if p],
            "initial_delay_seconds": _number(post.get("initial_delay_seconds", "")),
            "env": env}


def config_of(draft: dict) -> VersionConfig:
    values = {name: draft[name] for name in STEP1_FIELDS + STEP2_FIELDS}
    values["env"] = [tuple(pair) for pair in draft["env"]]
    return VersionConfig(**values)


def errors_of(draft: dict, fields) -> dict[str, list[str]]:
    """Every field's messages at once ({} when the step is valid)."""
    try:
        validate_step(config_of(draft), fields)
    except ValidationError as exc:
        return {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    return {}


def step1_errors(draft: dict) -> dict[str, list[str]]:
    return errors_of(draft, STEP1_FIELDS)


def step2_errors(draft: dict) -> dict[str, list[str]]:
    return errors_of(draft, STEP2_FIELDS)


def import_env(draft: dict, text: str) -> dict:
    """Merge variables from .env or JSON text: an imported name replaces the same name."""
    imported = envfile.parse_any(text)  # raises ValidationError({"env": ...})
    names = {name for name, _value in imported}
    kept = [pair for pair in draft["env"] if pair[0] not in names]
    return {**draft, "env": kept + [[name, value] for name, value in imported]}
