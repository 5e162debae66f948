"""The two-step version wizard: version config, then hosting config, then deploy.

The draft lives in the session (console.wizard), so back and next keep everything, and an
invalid field is shown next to itself with everything else as typed.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from console import nav, platform, wizard
from console.responses import go, render
from console.tenancy import console_view
from hosting import catalogue, rules
from hosting.domain.versions import create_version, live_version_count
from hosting.models import Service, TrafficPolicy


def _service(request, pk: int) -> Service:
    return request.console.get(Service.objects.select_related("tenant", "application__project"), pk=pk)


def _context(request, service: Service, draft: dict, errors: dict, step: int) -> dict:
    count = live_version_count(service)
    return {
        "service": service, "draft": draft, "errors": errors, "step": step,
        "count": count, "limit": rules.MAX_VERSIONS_PER_SERVICE,
        "full": count >= rules.MAX_VERSIONS_PER_SERVICE,
        "crumbs": nav.crumbs(service, (_("New version"), "")),
    }


@require_http_methods(["GET", "POST"])
@console_view
def step1(request, pk: int):
    service = _service(request, pk)
    if request.GET.get("restart"):
        wizard.discard(request.session, service)
    draft, errors = wizard.load(request.session, service), {}
    tags, tag_problem = platform.tags(service)
    if request.method == "POST":
        request.console.require_change()
        draft = wizard.read_step1(request.POST, draft)
        wizard.save(request.session, service, draft)
        errors = wizard.step1_errors(draft)
        if tags is not None and draft["image_tag"] and draft["image_tag"] not in tags:
            errors.setdefault("image_tag", []).append(
                _("The tag %(tag)s is not in the repository %(repo)s.")
                % {"tag": draft["image_tag"], "repo": service.repository})
        if not errors:
            return go(request, "version_new_hosting", service.pk)
    context = _context(request, service, draft, errors, 1)
    context.update(tags=tags, tag_problem=tag_problem, policies=TrafficPolicy.choices,
                   rollout_form=wizard.rollout_form(draft),
                   description_max=rules.DESCRIPTION_MAX_CHARS)
    return render(request, "console/wizard_step1.html", context,
                  fragment="console/_wizard_step1.html", status=400 if errors else 200)


ROW_ACTIONS = {"add_log", "add_env", "import_env"}


@require_http_methods(["GET", "POST"])
@console_view
def step2(request, pk: int):
    service = _service(request, pk)
    draft, errors = wizard.load(request.session, service), {}
    if request.method == "POST":
        request.console.require_change()
        action = request.POST.get("action", "deploy")
        # An env row is removed while reading (a row marked secret moves among the secrets).
        removed = _index(action) if action.startswith("remove_env:") else -1
        draft = wizard.read_step2(request.POST, draft, removed)
        draft, errors = _row_action(request, draft, action)
        wizard.save(request.session, service, draft)
        if action == "back":
            return go(request, "version_new", service.pk)
        if action == "deploy":
            if wizard.step1_errors(draft):  # e.g. the session expired between the steps
                return go(request, "version_new", service.pk)
            errors = wizard.step2_errors(draft) or _deploy(request, service, draft)
            if not errors:
                wizard.discard(request.session, service)
                return go(request, "service", service.pk)
    elif wizard.step1_errors(draft):  # arrived here directly with an unfinished step 1
        return go(request, "version_new", service.pk)
    context = _context(request, service, draft, errors, 2)
    context.update(specs=catalogue.SPECS, stdout=rules.STDOUT, env_rows=wizard.env_rows(draft))
    return render(request, "console/wizard_step2.html", context,
                  fragment="console/_wizard_step2.html", status=400 if errors else 200)


def _row_action(request, draft: dict, action: str) -> tuple[dict, dict]:
    """Add a log path or env row, remove a log path, or import env; the rest stays."""
    errors: dict = {}
    if action == "add_log":
        draft["log_paths"] = draft["log_paths"] + [""]
    elif action == "add_env":
        draft["env"] = draft["env"] + [["", ""]]
    elif action.startswith("remove_log:"):
        draft["log_paths"] = _without(draft["log_paths"], _index(action))
    elif action == "import_env":
        try:
            draft = wizard.import_env(draft, _env_text(request),
                                      secret=bool(request.POST.get("import_secret")))
        except ValidationError as exc:
            errors = {"env": [str(m) for m in exc.message_dict.get("env", exc.messages)]}
    return draft, errors


def _env_text(request) -> str:
    """The pasted or uploaded .env/JSON, refused above ENV_UPLOAD_MAX_BYTES before it is
    read further (the variable count is checked by the import, before the session)."""
    upload = request.FILES.get("env_file")
    limit = settings.ENV_UPLOAD_MAX_BYTES
    raw = upload.read(limit + 1) if upload else request.POST.get("env_text", "").encode()
    if len(raw) > limit:
        raise ValidationError({"env": [_("The .env or JSON import may be at most %(max)d bytes.")
                                       % {"max": limit}]})
    return raw.decode("utf-8", errors="replace")


def _index(action: str) -> int:
    """The row index of "remove_env:3"; -1 (no row) when it is not a number."""
    try:
        return int(action.split(":", 1)[1])
    except ValueError:
        return -1


def _without(rows: list, index: int) -> list:
    return [row for i, row in enumerate(rows) if i != index]


def _deploy(request, service: Service, draft: dict) -> dict:
    """Create the version (its deploy runs on a worker); the errors, {} on success."""
    try:
        create_version(service, wizard.config_of(draft), user=request.user)
    except ValidationError as exc:  # e.g. VersionLimitReached: another tab created one
        return {"form": exc.messages}
    return {}
