"""The token endpoint the registry's challenge points clients to (its `realm`)."""
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from hosting.registry import tokens
from hosting.registry.scopes import parse_scopes


@csrf_exempt  # called by container CLIs, never by a browser form
@require_http_methods(["GET", "POST"])
def token(request: HttpRequest) -> JsonResponse:
    """GET: the token protocol (Basic auth, `service`, `scope`..., `account`,
    `offline_token`, `client_id`). POST: its OAuth2 form (`grant_type=password`)."""
    params = request.POST if request.method == "POST" else request.GET
    service = params.get("service", settings.REGISTRY_SERVICE)
    if service != settings.REGISTRY_SERVICE:
        return _error(400, "UNSUPPORTED", f"This endpoint issues tokens for the service "
                      f"{settings.REGISTRY_SERVICE!r}, not {service!r}.")
    try:
        principal = _principal(request, params)
    except tokens.BadCredentials as exc:
        return _error(401, "UNAUTHORIZED", str(exc),
                      {"WWW-Authenticate": 'Basic realm="hosting registry"'})
    return JsonResponse(tokens.token_response(principal, parse_scopes(params.getlist("scope"))))


def _principal(request: HttpRequest, params) -> tokens.Principal:
    """Trust the Basic-auth user, not `account` (which clients send alongside it)."""
    if request.method == "POST" and params.get("grant_type") == "password":
        credentials = (params.get("username", ""), params.get("password", ""))
        if not credentials[0]:
            raise tokens.BadCredentials("Send a user name and a password.")
    else:
        credentials = tokens.basic_credentials(request.headers.get("Authorization", ""))
    if credentials is None:
        return tokens.ANONYMOUS
    return tokens.principal_for(*credentials)


def _error(status: int, code: str, message: str, headers: dict | None = None) -> JsonResponse:
    body = {"errors": [{"code": code, "message": message}]}
    return JsonResponse(body, status=status, headers=headers)
