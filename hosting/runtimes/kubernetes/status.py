"""Pods as the platform sees them: Observed values and failure reasons (pure).

Kubernetes restarts a crashed container in place, so a container waiting in
CrashLoopBackOff, or terminated, reads as an exited instance with the last exit code
(and OOM), exactly like a stopped container on Podman; the reconcile loop then replaces
it and counts the failure. Image pulls happen on the node, so their failures arrive here.
"""
from __future__ import annotations

from datetime import datetime

from hosting.runtimes.base import ImagePullFailed, Observed, RuntimeFailure
from hosting.runtimes.pulls import classify_pull_error
from hosting.runtimes.streams import parse_time

ANNOTATION_NAME = "hosting.platform/instance-name"
PULL_REASONS = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
                "RegistryUnavailable"}
CRASH_REASONS = {"CrashLoopBackOff", "RunContainerError", "CreateContainerError",
                 "CreateContainerConfigError"}


def container_status(pod: dict) -> dict:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return statuses[0] if statuses else {}


def observed(pod: dict) -> Observed:
    meta, status = pod["metadata"], pod.get("status") or {}
    cstatus = container_status(pod)
    state, exit_code, oom, error = _state(pod, cstatus)
    running = (cstatus.get("state") or {}).get("running") or {}
    terminated = _last_terminated(cstatus)
    return Observed(
        name=(meta.get("annotations") or {}).get(ANNOTATION_NAME, meta["name"]),
        id=meta.get("uid", ""),
        state=state,
        labels=dict(meta.get("labels") or {}),
        host_port=container_port(pod),
        host_ip=status.get("podIP") or "",
        exit_code=exit_code,
        oom_killed=oom,
        error=error,
        evicted=eviction_message(pod),
        started_at=parse_time(running.get("startedAt")),
        created_at=created_at(pod),
        finished_at=parse_time(terminated.get("finishedAt")) if state == "exited" else None,
    )


def _state(pod: dict, cstatus: dict) -> tuple[str, int | None, bool, str]:
    """(state, exit code, OOM-killed, error text) in the local engine's words."""
    if pod["metadata"].get("deletionTimestamp"):
        return "removing", None, False, ""
    current = cstatus.get("state") or {}
    if "running" in current and (pod.get("status") or {}).get("phase") == "Running":
        return "running", None, False, ""
    terminated = _last_terminated(cstatus)
    if evicted := eviction(pod):
        return "exited", terminated.get("exitCode"), False, evicted
    waiting = current.get("waiting") or {}
    reason = waiting.get("reason", "")
    if "terminated" in current or reason in CRASH_REASONS:
        error = f"{reason}: {waiting.get('message', '')}".strip(": ") if reason else ""
        return ("exited", terminated.get("exitCode"), terminated.get("reason") == "OOMKilled",
                error or terminated.get("message", "") or "")
    if reason in PULL_REASONS:
        return "exited", None, False, f"{reason}: {waiting.get('message', '')}"
    return "created", None, False, unschedulable(pod) or ""


def eviction(pod: dict) -> str:
    """The engine error of an evicted pod (e.g. past its disk limit), or ''."""
    message = eviction_message(pod)
    return f"Evicted by the node: {message}" if message else ""


def eviction_message(pod: dict) -> str:
    """The kubelet's words when it evicted the pod ('Evicted' when it gave none), or ''."""
    status = pod.get("status") or {}
    if status.get("reason") != "Evicted":
        return ""
    return status.get("message") or "Evicted"


def _last_terminated(cstatus: dict) -> dict:
    current = (cstatus.get("state") or {}).get("terminated")
    return current or (cstatus.get("lastState") or {}).get("terminated") or {}


def container_port(pod: dict) -> int | None:
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            return int(port["containerPort"])
    return None


def unschedulable(pod: dict) -> str | None:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if (condition.get("type") == "PodScheduled" and condition.get("status") == "False"
                and condition.get("reason") == "Unschedulable"):
            return f"The instance cannot be placed on any node: {condition.get('message', '')}"
    return None


def start_failure(pod: dict, image: str) -> RuntimeFailure | None:
    """The error that ends a start for good (not a crash: the deploy describes those with
    the exit code and the last log lines)."""
    waiting = (container_status(pod).get("state") or {}).get("waiting") or {}
    if waiting.get("reason") in PULL_REASONS:
        text = waiting.get("message") or waiting["reason"]
        reason = classify_pull_error(text)
        return ImagePullFailed(pull_text(reason, image, text), reason)
    message = unschedulable(pod)
    return RuntimeFailure(message) if message else None


def pull_text(reason: str, image: str, text: str) -> str:
    head = {"not_found": f"The node could not find the image {image} in the registry.",
            "denied": f"The registry denied the node access to {image}.",
            "unavailable": f"The node could not reach the registry to pull {image}."}.get(
        reason, f"The node could not pull the image {image}.")
    return f"{head} The kubelet said: {text.strip()}"


def replica_failure(deployment_or_rs: dict) -> str | None:
    """Why the controller cannot create pods (e.g. the tenant's quota is exceeded)."""
    for condition in (deployment_or_rs.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "ReplicaFailure" and condition.get("status") == "True":
            return f"Kubernetes refused to create the instance: {condition.get('message', '')}"
    return None


def is_live(pod: dict) -> bool:
    """Counts toward the Deployment's replicas: not being deleted, not finished."""
    phase = (pod.get("status") or {}).get("phase")
    return not pod["metadata"].get("deletionTimestamp") and phase not in {"Succeeded", "Failed"}


def is_reported(pod: dict) -> bool:
    """What the platform sees as an instance: live pods, and evicted ones until it has
    read why and removed them (the Deployment already replaced them)."""
    return is_live(pod) or (bool(eviction(pod)) and not pod["metadata"].get("deletionTimestamp"))


def created_at(pod: dict) -> datetime | None:
    return parse_time(pod["metadata"].get("creationTimestamp"))
