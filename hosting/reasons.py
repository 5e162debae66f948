"""Events and failure reasons as a stable code plus parameters, rendered on reading.

An event stores `code` and `params` (numbers, names, the engine's raw words as data);
its text is made when a page or an API response is, in the reader's language (the
console's language or the request's Accept-Language), from the templates below, which
are translated in locale/. The English text is also stored, for rows written before
codes existed and for anyone reading the database directly.

A parameter may itself be a reason ({"code": ..., "params": ...}: "replaced because
<why>"); a parameter named `state` is a version status, shown with its label.
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

TEXTS = {
    "version.created": gettext_noop("Version %(name)s created."),
    "version.deleting": gettext_noop("Deletion requested."),
    "version.redeploy": gettext_noop("Redeploy requested."),
    "version.deleted": gettext_noop("Instances removed; the version is deleted."),
    "version.status": gettext_noop("Status is now %(state)s."),
    "traffic.changed": gettext_noop("Traffic changed from %(before)d%% to %(after)d%%."),
    "deploy.resolved": gettext_noop("Tag %(tag)s is %(digest)s."),
    "deploy.image_present": gettext_noop("The image is already on the host; no pull needed."),
    "deploy.pulled": gettext_noop("Image pulled in %(seconds).2f s."),
    "deploy.no_instance": gettext_noop("No instance to start: minimum 0 with traffic kept at 0; the "
                                       "first request will start one."),
    "deploy.started": gettext_noop("Instance %(instance)s started (port %(port)s reachable on "
                                   "%(host)s:%(host_port)s)."),
    "deploy.pulled_by_nodes": gettext_noop("The nodes pull the image when its pods start."),
    "deploy.waiting": gettext_noop("Waiting %(seconds)s s (InitialDelaySeconds) before health checks."),
    "deploy.healthy": gettext_noop("Instance %(instance)s answered HTTP %(status)s %(seconds).2f s after "
                                   "its health checks began."),
    "deploy.done": gettext_noop("Deployed: %(count)d healthy instance(s)."),
    "deploy.restored": gettext_noop("Restored after the recharge: %(count)d healthy instance(s)."),
    "deploy.resumed": gettext_noop("The deploy made no progress; starting it again."),
    "failure.image_not_found": gettext_noop("Image not found: the tag %(tag)s does not exist in "
                                            "%(repository)s."),
    "failure.image_denied": gettext_noop("Registry denied access to %(repository)s."),
    "failure.registry_unavailable": gettext_noop("The image registry could not be reached."),
    "failure.image_pull": gettext_noop("The image %(repository)s:%(tag)s could not be pulled."),
    "failure.vanished": gettext_noop("The container %(container)s disappeared while deploying."),
    "failure.oom": gettext_noop("Out of memory: the instance was killed because it used more than its "
                                "limit of %(memory_mib)s MiB (exit code %(exit_code)s)."),
    "failure.exited": gettext_noop("The container exited with code %(exit_code)s instead of serving on "
                                   "port %(port)s."),
    "failure.refused": gettext_noop("Nothing is listening on port %(port)s inside the container "
                                    "(connection refused)."),
    "failure.timeout": gettext_noop("The health check timed out: GET / on port %(port)s got no answer "
                                    "within %(window)s s."),
    "failure.http_5xx": gettext_noop("GET / on port %(port)s answered HTTP %(status)s (a server error)."),
    "failure.no_port": gettext_noop("Port %(port)s of the container is not published, so it cannot be "
                                    "checked."),
    "failure.probe_error": gettext_noop("GET / on port %(port)s failed: %(error)s."),
    "failure.wrong_port": gettext_noop("Nothing is listening on port %(port)s; the app listens on "
                                       "%(ports)s."),
    "failure.evicted": gettext_noop("The node evicted the instance: %(message)s"),
    "failure.engine": gettext_noop("The container engine failed: %(error)s"),
    "instance.replaced": gettext_noop("Instance %(instance)s stopped; replacing it. %(why)s"),
    "instance.vanished": gettext_noop("Instance %(instance)s disappeared from the engine; replacing it."),
    "instance.unhealthy": gettext_noop("Instance %(instance)s failed %(failures)d health checks in a row: "
                                       "%(why)s"),
    "health.abnormal": gettext_noop("Abnormal: every instance failed %(retries)d health checks in a row."),
    "health.recovered": gettext_noop("Healthy again: an instance passes its health checks."),
    "billing.suspended": gettext_noop("Suspended: the account is in arrears; %(count)d instance(s) "
                                      "stopped. The traffic share (%(pct)d%%) is kept and comes back "
                                      "after a recharge."),
    "billing.recharged": gettext_noop("Recharged: restoring the version (%(count)d instance(s), then "
                                      "health checks)."),
    "instance.phases": gettext_noop("Instance %(instance)s is ready %(total).2f s after its start "
                                    "began; the longest phase: %(phase)s, %(seconds).2f s."),
    "instance.cold_start": gettext_noop("Cold start of %(instance)s: first byte %(first_byte).2f s after "
                                        "the request arrived; the longest phase: %(phase)s, "
                                        "%(seconds).2f s."),
    "scale.changed": gettext_noop("Instances %(before)d → %(after)d: %(why)s"),
    "scale.saturated": gettext_noop("Saturated: %(why)s; no instance can be added."),
    "scale.unsaturated": gettext_noop("No longer saturated."),
    "scale.no_traffic": gettext_noop("no traffic: instances stay at min"),
    "scale.cpu_over": gettext_noop("CPU %(cpu)d%% over the %(target)d%% target"),
    "scale.cpu_under": gettext_noop("CPU %(cpu)d%% well under the %(target)d%% target"),
    "scale.cpu_at_max": gettext_noop("CPU %(cpu)d%% over %(target)d%% at max replicas"),
    "scale.cold_start": gettext_noop("a request arrived (cold start)"),
    "scale.idle": gettext_noop("no request for %(minutes)s min (scale to zero)"),
    # Gradual rollouts (hosting/rollouts): the machine's and the user's steps.
    "rollout.started": gettext_noop("Gradual rollout started: step 1 of %(n)d, %(pct)d%% of the "
                                    "traffic (steps %(steps)s, hold %(hold)d s)."),
    "rollout.step": gettext_noop("Step %(i)s of %(n)s: %(pct)s%% of the traffic."),
    "rollout.step_passed": gettext_noop("Step %(pct)d%% passed: %(numbers)s."),
    "rollout.step_passed_seen": gettext_noop("Step %(pct)d%% passed: %(numbers)s (observed "
                                             "%(share).1f%% of %(answers)d answers)."),
    "rollout.waiting": gettext_noop("%(why)s."),
    "rollout.completed": gettext_noop("All steps passed; %(name)s takes 100%% of the traffic."),
    "rollout.nothing_to_compare": gettext_noop("No other version had traffic, so there is nothing "
                                               "to compare with: opened 100%%."),
    "rollout.superseded": gettext_noop("Superseded by %(name)s's rollout."),
    "rollout.not_normal": gettext_noop("%(name)s is no longer normal (%(state)s) at %(pct)d%%."),
    "rollout.nowhere_to_return": gettext_noop("%(why)s No previous version can take the traffic "
                                              "back; it stays as it is."),
    "rollout.paused": gettext_noop("Rollout paused at %(pct)d%% by %(user)s."),
    "rollout.resumed": gettext_noop("Rollout resumed at %(pct)d%% by %(user)s."),
    "rollout.promoted": gettext_noop("Promoted to 100%% by %(user)s at %(pct)d%%."),
    "rollout.rolled_back_by": gettext_noop("Rolled back by %(user)s at %(pct)d%%."),
    "rollout.cancelled_by_hand": gettext_noop("Cancelled at %(pct)d%%: %(user)s changed the "
                                              "traffic by hand."),
    "rollout.the_platform": gettext_noop("the platform"),
    # The decision's numbers (hosting/rollouts/decide.py), also a rollback's reason.
    "rollout.error_ratio": gettext_noop("5xx %(percent).1f%% over %(requests)d requests at "
                                        "%(step)d%% (the limit is %(limit)g%%)"),
    "rollout.latency": gettext_noop("p95 %(p95).0f ms is %(factor).1fx the previous version's "
                                    "%(baseline).0f ms at %(step)d%% (the limit is %(limit)gx)"),
    "rollout.holding": gettext_noop("%(step)d%%: %(left).0f s left in the step; 5xx "
                                    "%(percent).1f%% over %(requests)d requests so far"),
    "rollout.too_few_requests": gettext_noop("%(step)d%%: hold time over but only %(requests)d of "
                                             "%(needed)d requests seen; holding until there are "
                                             "enough"),
    "rollout.healthy": gettext_noop("5xx %(percent).1f%% over %(requests)d requests at %(step)d%%"),
    "rollout.healthy_p95": gettext_noop("5xx %(percent).1f%% over %(requests)d requests at "
                                        "%(step)d%%, p95 %(p95).0f ms"),
    "rollout.healthy_p95_baseline": gettext_noop("5xx %(percent).1f%% over %(requests)d requests "
                                                 "at %(step)d%%, p95 %(p95).0f ms vs "
                                                 "%(baseline).0f ms before"),
}


@dataclass(frozen=True)
class Reason:
    """What happened, as data: a code of TEXTS and the parameters its text needs."""

    code: str
    params: dict = field(default_factory=dict)

    def text(self, language: str | None = None) -> str:
        return render(self.code, self.params, language)

    def as_param(self) -> dict:
        return {"code": self.code, "params": self.params}


def reason(code: str, **params) -> Reason:
    if code not in TEXTS:
        raise KeyError(f"unknown reason code {code!r} (add it to hosting/reasons.py)")
    return Reason(code, params)


def plain(text: str) -> Reason:
    """Words that have no code (an event written before codes existed)."""
    return Reason("", {"text": text})


def render(code: str, params: dict | None, language: str | None = None) -> str:
    """The text in `language` (default: the active one, i.e. the reader's)."""
    params = params or {}
    with translation.override(language) if language else nullcontext():
        template = TEXTS.get(code)
        if template is None:
            return str(params.get("text", code))
        try:
            return gettext(template) % {k: _value(k, v) for k, v in params.items()}
        except (KeyError, TypeError, ValueError):  # a param missing: say it untranslated
            return f"{code} {params}"


def _value(name: str, value):
    if isinstance(value, dict) and "code" in value:
        return render(value["code"], value.get("params"))
    if name == "state":
        from hosting.status import VersionStatus

        try:
            return str(VersionStatus(value).label)
        except ValueError:
            return value
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return value
