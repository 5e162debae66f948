"""A version's two wizard steps as one value, validated by the rules in one pass.

The console's wizard validates each step on its own (`validate_step`), the API validates
the whole body; both collect every field's error at once so a form can show them all.
"""
import re
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from hosting import catalogue, rules
from hosting.models import TrafficPolicy
from hosting.rollouts import options as rollout_options

# The registry's tag grammar.
TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
STEP1_FIELDS = ("image_tag", "port", "traffic_policy", "rollout", "description")
STEP2_FIELDS = ("resource_spec", "min_replicas", "max_replicas", "cpu_target", "log_paths",
                "initial_delay_seconds", "env", "secret_env")


@dataclass
class VersionConfig:
    image_tag: str = ""
    port: int = rules.PORT_DEFAULT
    traffic_policy: str = TrafficPolicy.KEEP_ZERO
    description: str = ""
    resource_spec: str = catalogue.DEFAULT_SPEC
    min_replicas: int = rules.MIN_REPLICAS_DEFAULT
    max_replicas: int = rules.MAX_REPLICAS_DEFAULT
    cpu_target: int = rules.CPU_TARGET_DEFAULT
    log_paths: list = field(default_factory=lambda: [rules.STDOUT])
    initial_delay_seconds: int = rules.INITIAL_DELAY_DEFAULT
    # (name, value) pairs rather than a dict, so duplicate names can be reported.
    env: list = field(default_factory=list)
    # The gradual policy's options (steps, hold, guard rails); ignored by the other two.
    rollout: dict = field(default_factory=dict)
    # (name, sealed value) pairs: only ever sealed here (hosting/sealed.py), so a config
    # kept in a session or pre-filled from a version never holds a secret in clear.
    secret_env: list = field(default_factory=list)

    def as_model_fields(self) -> dict:
        data = asdict(self)
        gradual = self.traffic_policy == TrafficPolicy.GRADUAL
        data["rollout"] = rollout_options.parse(self.rollout).as_dict() if gradual else {}
        data["env"] = [[name, value] for name, value in self.env]
        data["secret_env"] = [[name, token] for name, token in self.secret_env]
        spec = catalogue.BY_KEY[self.resource_spec]
        data.update(cpu_millis=spec.cpu_millis, memory_mib=spec.memory_mib)
        return data

    @classmethod
    def from_version(cls, version) -> "VersionConfig":
        """Pre-fill for the next version (the wizard starts from the latest one)."""
        values = {name: getattr(version, name) for name in STEP1_FIELDS + STEP2_FIELDS}
        values["env"] = [tuple(pair) for pair in version.env]
        values["secret_env"] = [tuple(pair) for pair in version.secret_env]
        values["log_paths"] = list(version.log_paths)
        values["rollout"] = dict(version.rollout or {})
        return cls(**values)


def _check_image_tag(cfg: VersionConfig) -> None:
    tag = cfg.image_tag
    if not isinstance(tag, str) or not tag or len(tag) > 128 or not TAG_RE.fullmatch(tag):
        raise ValidationError({"image_tag": [_("image_tag is required: choose a tag pushed to the "
                                               "service's repository (at most 128 characters).")]})


def _check_traffic_policy(cfg: VersionConfig) -> None:
    if cfg.traffic_policy not in TrafficPolicy.values:
        raise ValidationError({"traffic_policy": [
            _("traffic_policy must be one of: %(choices)s.") % {"choices": ", ".join(TrafficPolicy.values)}]})


CHECKS = {
    "image_tag": _check_image_tag,
    "port": lambda c: rules.check_port(c.port),
    "traffic_policy": _check_traffic_policy,
    "description": lambda c: rules.check_description(c.description),
    "rollout": lambda c: (rollout_options.parse(c.rollout)
                          if c.traffic_policy == TrafficPolicy.GRADUAL else None),
    "resource_spec": lambda c: catalogue.get_spec(c.resource_spec),
    "min_replicas": lambda c: rules.check_replicas(c.min_replicas, c.max_replicas),
    "cpu_target": lambda c: rules.check_cpu_target(c.cpu_target),
    "log_paths": lambda c: rules.check_log_paths(c.log_paths),
    "initial_delay_seconds": lambda c: rules.check_initial_delay(c.initial_delay_seconds),
    "env": lambda c: rules.check_env_pairs(c.env),
    "secret_env": lambda c: _check_secret_names(c),
}


def _check_secret_names(cfg: VersionConfig) -> None:
    """Secret names follow the env rules and never repeat a plain variable's name."""
    names = [name for name, _token in cfg.secret_env]
    try:
        rules.check_env_pairs([(name, "") for name in names])
    except ValidationError as exc:
        raise ValidationError({"secret_env": [f"secret_env ({message})"
                                              for message in exc.message_dict["env"]]}) from exc
    missing = [name for name, token in cfg.secret_env if not token]
    if missing:  # marked secret in the console with no value typed and none stored
        raise ValidationError({"secret_env": [_("secret_env: %(names)s marked secret without "
                                                "a value; type one.")
                                              % {"names": ", ".join(missing)}]})
    both = sorted(set(names) & {name for name, _value in cfg.env})
    if both:
        raise ValidationError({"secret_env": [_("secret_env: %(names)s also set in env; a "
                                                "variable is either secret or not.")
                                              % {"names": ", ".join(both)}]})


def validate_step(cfg: VersionConfig, fields) -> None:
    """Run the checks of `fields`, raising one ValidationError with every failure."""
    errors: dict[str, list] = {}
    for name in fields:
        check = CHECKS.get(name)
        if check is None:
            continue
        try:
            check(cfg)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def validate_config(cfg: VersionConfig) -> None:
    validate_step(cfg, STEP1_FIELDS + STEP2_FIELDS)
