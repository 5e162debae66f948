from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from hosting.domain.tenants import create_tenant
from hosting.models import Application, Project, Service, Tenant

DEMO_PASSWORD = "demo-password"


class Command(BaseCommand):
    help = "Load a demo tenant with a project, an application and a service (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, password, **options) -> None:
        tenant = Tenant.objects.filter(slug="demo").first()
        if tenant is None:
            tenant, _key = create_tenant("demo", "demo", password, name="Demo instance")
        user = get_user_model().objects.get(username="demo")
        if not user.is_staff:
            # The demo owner may also look around the operators' admin.
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        project, _ = Project.objects.get_or_create(tenant=tenant, name="smart-home")
        app, _ = Application.objects.get_or_create(project=project, name="device-backend",
                                                   defaults={"tenant": tenant})
        Service.objects.get_or_create(tenant=tenant, name="testservice",
                                      defaults={"application": app})
        self.stdout.write(f"Demo login: demo / {password}")
