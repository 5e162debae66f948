"""The version wizard's draft: what the user typed in both steps, kept in the session.

Back and next never lose anything: every POST first stores the raw values (even invalid
ones, so they are shown again next to their error), then validates only its step with
hosting.domain.config.validate_step.
"""
from dataclasses import asdict

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from hosting import envfile, rules, sealed
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
    draft["secret_env"] = [list(pair) for pair in config.secret_env]  # sealed
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


def _decimal(raw: str):
    """A number when the text is one, else the text itself (kept to show it again)."""
    raw = (raw or "").strip()
    try:
        return int(raw)
    except ValueError:
        try:
            return float(raw)
        except ValueError:
            return raw


def _steps(raw: str):
    """"10, 50, 100" -> [10, 50, 100]; anything else is kept as typed (the check says why)."""
    parts = [p.strip().rstrip("%") for p in (raw or "").replace("→", ",").split(",") if p.strip()]
    return [int(p) for p in parts] if parts and all(p.isdigit() for p in parts) else raw


ROLLOUT_INPUTS = {"steps": _steps, "hold_seconds": _number, "max_5xx_percent": _decimal,
                  "latency_factor": _decimal, "min_requests": _number}


def read_rollout(post, draft: dict) -> dict:
    """The gradual policy's inputs (rollout_<option>); left-out ones keep their value."""
    options = dict(draft.get("rollout") or {})
    for name, convert in ROLLOUT_INPUTS.items():
        if f"rollout_{name}" in post:
            options[name] = convert(post.get(f"rollout_{name}", ""))
    return options


def read_step1(post, draft: dict) -> dict:
    return {**draft,
            "image_tag": post.get("image_tag", "").strip(),
            "port": _number(post.get("port", "")),
            "traffic_policy": post.get("traffic_policy", ""),
            "rollout": read_rollout(post, draft),
            "description": post.get("description", "")}


def rollout_form(draft: dict) -> dict:
    """What the gradual policy's inputs show: the draft's values over the defaults."""
    from hosting.rollouts.options import RolloutOptions

    values = {**RolloutOptions().as_dict(), **(draft.get("rollout") or {})}
    steps = values["steps"]
    values["steps"] = ", ".join(map(str, steps)) if isinstance(steps, list) else steps
    return values


def env_rows(draft: dict) -> list[dict]:
    """The env editor's rows: plain variables, then secrets, whose value is never sent
    back (write-only: a blank value keeps the stored one)."""
    rows = [{"name": name, "value": value, "secret": False, "stored": False}
            for name, value in draft["env"]]
    return rows + [{"name": name, "value": "", "secret": True, "stored": bool(token)}
                   for name, token in draft.get("secret_env") or []]


def read_env(post, draft: dict, removed: int = -1) -> dict:
    """Rows marked secret (env_secret holds their indexes) are sealed at once, so the
    session never holds a secret in clear; a blank secret keeps the stored value of
    that name. Row `removed` is left out."""
    names, values = post.getlist("env_name"), post.getlist("env_value")
    marked = set(post.getlist("env_secret"))
    stored = {name: token for name, token in draft.get("secret_env") or []}
    env, secrets, too_long = [], [], []
    for index, (name, value) in enumerate(zip(names, values, strict=False)):
        name = name.strip()
        if not (name or value) or index == removed:
            continue
        if str(index) not in marked:
            env.append([name, value])
        elif len(value) > rules.ENV_VALUE_MAX_CHARS:  # checked in clear, never stored
            secrets.append([name, stored.get(name, "")])
            too_long.append(name)
        else:
            secrets.append([name, sealed.seal(value) if value else stored.get(name, "")])
    return {**draft, "env": env, "secret_env": secrets, "secrets_too_long": too_long}


def read_step2(post, draft: dict, removed_env: int = -1) -> dict:
    draft = read_env(post, draft, removed_env)
    paths = [p.strip() for p in post.getlist("log_paths")]
    return {**draft,
            "resource_spec": post.get("resource_spec", ""),
            "min_replicas": _number(post.get("min_replicas", "")),
            "max_replicas": _number(post.get("max_replicas", "")),
            "cpu_target": _number(post.get("cpu_target", "")),
            "log_paths": [p for p in paths if p],
            "initial_delay_seconds": _number(post.get("initial_delay_seconds", ""))}


def config_of(draft: dict) -> VersionConfig:
    values = {name: draft[name] for name in STEP1_FIELDS + STEP2_FIELDS if name in draft}
    values["env"] = [tuple(pair) for pair in draft["env"]]
    values["secret_env"] = [tuple(pair) for pair in draft.get("secret_env") or []]
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
    errors = errors_of(draft, STEP2_FIELDS)
    for name in draft.get("secrets_too_long") or []:
        errors.setdefault("secret_env", []).append(
            _("secret_env: the value of %(name)s must be text of at most %(max)d characters.")
            % {"name": name, "max": rules.ENV_VALUE_MAX_CHARS})
    return errors


def import_env(draft: dict, text: str, secret: bool = False) -> dict:
    """Merge variables from .env or JSON text: an imported name replaces the same name,
    plain or secret; imported values stay plain unless `secret` (then sealed at once)."""
    imported = envfile.parse_any(text)  # raises ValidationError({"env": ...})
    names = {name for name, _value in imported}
    env = [pair for pair in draft["env"] if pair[0] not in names]
    secrets = [pair for pair in draft.get("secret_env") or [] if pair[0] not in names]
    target = secrets if secret else env
    if len(target) + len(imported) > rules.ENV_VARS_MAX:  # refused before the session holds it
        raise ValidationError({"env": [_("env may hold at most %(max)d variables.")
                                       % {"max": rules.ENV_VARS_MAX}]})
    target += [[name, sealed.seal(value) if secret else value] for name, value in imported]
    return {**draft, "env": env, "secret_env": secrets}
