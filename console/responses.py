"""Rendering helpers: one view serves a full page and, for htmx, just its fragment.

As in django-htmx's example project, the full page `{% include %}`s the fragment, so
both come from one template and the page works without JavaScript.
"""
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django_htmx.http import HttpResponseClientRedirect

from console import tenancy


def render(request, template: str, context: dict | None = None, *, fragment: str | None = None,
           status: int = 200) -> HttpResponse:
    """The page, or only `fragment` when htmx asked for it."""
    ctx = {**tenancy.context(request), **(context or {})}
    chosen = fragment if fragment and request.htmx else template
    return TemplateResponse(request, chosen, ctx, status=status)


def go(request, to, *args, **kwargs) -> HttpResponse:
    """Redirect; an htmx request gets HX-Redirect so the whole page changes, not a fragment."""
    response = redirect(to, *args, **kwargs)
    if request.htmx:
        return HttpResponseClientRedirect(response["Location"])
    return response


def form_page(request, form_class, context: dict, *, done: str,
              template: str = "console/form.html", **form_kwargs) -> HttpResponse:
    """A create or rename page: viewers may look but not post; a valid post saves and
    goes to the `done` page of the saved object, an invalid one shows the errors."""
    if request.method == "POST":
        request.console.require_change()
    form = form_class(request.POST or None, **form_kwargs)
    if request.method == "POST" and form.is_valid():
        return go(request, done, form.save().pk)
    return render(request, template, {"form": form, **context})
