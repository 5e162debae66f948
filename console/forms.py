"""Forms for the console's tree (projects, applications, services), traffic and tokens.

Every rule lives in hosting.rules; these forms only call it, so the console, the API and
admin report the same messages.
"""
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from hosting import logins, rules
from hosting.domain import quotas
from hosting.models import Application, Project, Service


class ProjectForm(forms.ModelForm):
    title_new, title_edit = _("New project"), _("Rename project")

    class Meta:
        model = Project
        fields = ["name", "description"]
        labels = {"name": _("Name"), "description": _("Description")}

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.tenant = tenant

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        taken = Project.objects.filter(tenant=self.instance.tenant, name=name)
        if taken.exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("A project with this name already exists."))
        return name


class ApplicationForm(forms.ModelForm):
    title_new, title_edit = _("New application"), _("Rename application")

    class Meta:
        model = Application
        fields = ["name", "description"]
        labels = {"name": _("Name"), "description": _("Description")}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.project = project
        self.instance.tenant_id = project.tenant_id

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        taken = Application.objects.filter(project=self.instance.project, name=name)
        if taken.exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("An application with this name already exists in this project."))
        return name


def check_service_name(tenant, name: str, exclude_pk: int | None = None) -> list[str]:
    """The errors of a service name (empty when fine); also used by the live check."""
    try:
        rules.check_dns_label(name)
    except ValidationError as exc:
        return [str(m) for m in exc.message_dict["name"]]
    if Service.objects.filter(tenant=tenant, name=name).exclude(pk=exclude_pk).exists():
        return [str(_("This instance already has a service named %(name)s.") % {"name": name})]
    return []


class ServiceForm(forms.ModelForm):
    title_new, title_edit = _("New service"), _("Edit service")

    class Meta:
        model = Service
        fields = ["name", "description"]
        labels = {"name": _("Service name"), "description": _("Description")}
        help_texts = {"name": _("Lowercase letters, digits and hyphens; the image repository "
                                "<tenant>/<service> is bound to it.")}

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.application = application
        self.instance.tenant_id = application.tenant_id
        if self.instance.pk:  # the repository is bound to the name: renaming would orphan images
            self.fields["name"].disabled = True

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if self.instance.pk:
            return self.instance.name
        errors = check_service_name(self.instance.application.tenant, name)
        if errors:
            raise ValidationError(errors)
        quotas.check_new_service(self.instance.application.tenant)
        return name


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100, initial="default")


class ThrottledLoginMixin:
    """Say why a locked account or address cannot log in (hosting/logins.py), instead of
    the usual 'wrong password' that would send the user guessing again."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if logins.locked(username, logins.address_of(self.request)):
            raise ValidationError(logins.locked_message(), code="throttled")
        return super().clean()


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
