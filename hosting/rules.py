"""Every product rule with its number, in one place.

Model `clean()` methods, the console's forms and the API's serializers all call these,
so a limit changes in exactly one line. Each error names the field and the limit.
"""
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_VERSIONS_PER_SERVICE = 10
SEQUENCE_DIGITS = 3
DESCRIPTION_MAX_CHARS = 50
PORT_MIN, PORT_MAX, PORT_DEFAULT = 1, 65535, 80
REPLICAS_MIN, REPLICAS_MAX = 0, 50
MIN_REPLICAS_DEFAULT, MAX_REPLICAS_DEFAULT = 1, 50
CPU_TARGET_MIN, CPU_TARGET_MAX, CPU_TARGET_DEFAULT = 1, 100, 60
INITIAL_DELAY_MIN, INITIAL_DELAY_MAX, INITIAL_DELAY_DEFAULT = 0, 600, 2
LOG_PATHS_MAX = 10
LOG_PATH_MAX_CHARS = 255
ENV_VARS_MAX = 100
ENV_VALUE_MAX_CHARS = 4096
DNS_LABEL_MAX = 40  # leaves room for "-NNN" and preview prefixes inside 63
STDOUT = "stdout"

DNS_LABEL_RE = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _error(field: str, message) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=field)]})


def check_dns_label(value: str, field: str = "name") -> None:
    if not value or len(value) > DNS_LABEL_MAX or not DNS_LABEL_RE.match(value):
        raise _error(
            field,
            _(
                "%(field)s must be 1–%(max)d characters of lowercase letters, digits "
                "and hyphens, start with a letter and not end with a hyphen."
            )
            % {"field": field, "max": DNS_LABEL_MAX},
        )


def check_description(value: str) -> None:
    # len() counts characters, not bytes: 50 CJK characters are allowed.
    if len(value or "") > DESCRIPTION_MAX_CHARS:
        raise _error(
            "description",
            _("description must be at most %(max)d characters (it has %(n)d).")
            % {"max": DESCRIPTION_MAX_CHARS, "n": len(value)},
        )


def _check_range(field: str, value, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _error(
            field,
            _("%(field)s must be a whole number from %(low)d to %(high)d.")
            % {"field": field, "low": low, "high": high},
        )


def check_port(value) -> None:
    _check_range("port", value, PORT_MIN, PORT_MAX)


def check_cpu_target(value) -> None:
    _check_range("cpu_target", value, CPU_TARGET_MIN, CPU_TARGET_MAX)


def check_initial_delay(value) -> None:
    _check_range("initial_delay_seconds", value, INITIAL_DELAY_MIN, INITIAL_DELAY_MAX)


def check_replicas(min_replicas, max_replicas) -> None:
    _check_range("min_replicas", min_replicas, REPLICAS_MIN, REPLICAS_MAX)
    _check_range("max_replicas", max_replicas, 1, REPLICAS_MAX)
    if min_replicas > max_replicas:
        raise _error(
            "min_replicas",
            _("min_replicas (%(min)d) must not be greater than max_replicas (%(max)d).")
            % {"min": min_replicas, "max": max_replicas},
        )


PREVIEW_LABEL_CHARS = 10
_LABEL_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def preview_label() -> str:
    """10 random characters (about 51 bits) for a version's preview host; lowercase and
    digits, so the host stays a valid DNS label."""
    import secrets

    return "".join(secrets.choice(_LABEL_ALPHABET) for _ in range(PREVIEW_LABEL_CHARS))


def check_log_paths(paths) -> None:
    if not isinstance(paths, list) or not paths:
        raise _error("log_paths", _("log_paths must list at least one path (e.g. stdout)."))
    if len(paths) > LOG_PATHS_MAX:
        raise _error(
            "log_paths", _("log_paths may hold at most %(max)d paths.") % {"max": LOG_PATHS_MAX}
        )
    for path in paths:
        ok = isinstance(path, str) and (
            path == STDOUT
            or (path.startswith("/") and len(path) <= LOG_PATH_MAX_CHARS and "\0" not in path
                and ".." not in path.split("/"))
        )
        if not ok:
            raise _error(
                "log_paths",
                _("log_paths: %(path)r must be stdout or an absolute path of at most %(max)d "
                  "characters without '..'.") % {"path": path, "max": LOG_PATH_MAX_CHARS},
            )
    if len(set(paths)) != len(paths):
        raise _error("log_paths", _("log_paths must not repeat a path."))
    for path in paths:
        if is_whole_filesystem(path):
            raise _error("log_paths", _(
                "log_paths: %(path)r is a whole file system or a system directory; name the "
                "app's own log file or directory (e.g. /var/log/app).") % {"path": path})


# Paths that are not an app's logs but the system (or all of it): collecting them would
# read gigabytes, or kernel files that never end.
SYSTEM_DIRS = {"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/media",
               "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp",
               "/usr", "/var", "/var/log"}
NEVER_UNDER = ("/proc/", "/sys/", "/dev/")


def is_whole_filesystem(path: str) -> bool:
    if path == STDOUT:
        return False
    normal = "/" + "/".join(part for part in path.split("/") if part and part != ".")
    return normal in SYSTEM_DIRS or normal.startswith(NEVER_UNDER)


def check_env_pairs(pairs: list[tuple[str, str]]) -> None:
    """Check a list of (name, value) pairs; a list, not a dict, so duplicates show."""
    if len(pairs) > ENV_VARS_MAX:
        raise _error("env", _("env may hold at most %(max)d variables.") % {"max": ENV_VARS_MAX})
    seen: set[str] = set()
    for name, value in pairs:
        if not isinstance(name, str) or not ENV_NAME_RE.match(name):
            raise _error(
                "env",
                _("env: %(name)r is not a valid name; use letters, digits and _, not "
                  "starting with a digit.") % {"name": name},
            )
        if name in seen:
            raise _error("env", _("env: %(name)s is defined more than once.") % {"name": name})
        seen.add(name)
        if not isinstance(value, str) or len(value) > ENV_VALUE_MAX_CHARS:
            raise _error(
                "env",
                _("env: the value of %(name)s must be text of at most %(max)d characters.")
                % {"name": name, "max": ENV_VALUE_MAX_CHARS},
            )


def version_name(service_name: str, sequence: int) -> str:
    return f"{service_name}-{sequence:0{SEQUENCE_DIGITS}d}"
