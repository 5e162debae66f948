"""The user's API tokens: listed by prefix only; a new key is shown once; revoke."""
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from console import nav
from console.forms import TokenForm
from console.responses import go, render
from console.tenancy import console_view
from hosting.models import ApiToken

NEW_KEY = "console_new_token_key"


@require_http_methods(["GET", "POST"])
@console_view
def tokens(request):
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _token, key = ApiToken.issue(request.user, name=form.cleaned_data["name"])
        # Shown on the next page only (post/redirect/get): a reload does not make another.
        request.session[NEW_KEY] = key
        return go(request, "tokens")
    return render(request, "console/tokens.html", {
        "form": form, "tokens": ApiToken.objects.filter(user=request.user).order_by("-created"),
        "new_key": request.session.pop(NEW_KEY, None), "crumbs": nav.crumbs(None, (_("API tokens"), "")),
    })


@require_POST
@console_view
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)  # another user's: 404
    token.revoke()
    return go(request, "tokens")
