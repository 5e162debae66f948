"""What a failed image pull means, read from the engine's words: both backends (Podman
and the kubelet) report registry errors with the same phrases."""


def classify_pull_error(text: str) -> str:
    lowered = text.lower()
    if "manifest unknown" in lowered or "not found" in lowered or "name unknown" in lowered:
        return "not_found"
    if "denied" in lowered or "unauthorized" in lowered or "invalid username" in lowered:
        return "denied"
    if "connection refused" in lowered or "no such host" in lowered or "timeout" in lowered:
        return "unavailable"
    return "other"


def pull_message(reason: str, image_ref: str, text: str) -> str:
    head = {
        "not_found": f"The image {image_ref} was not found in the registry.",
        "denied": f"The registry denied access to {image_ref}.",
        "unavailable": f"The registry could not be reached to pull {image_ref}.",
    }.get(reason, f"The image {image_ref} could not be pulled.")
    return f"{head} The engine said: {text.strip()}"
