from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from hosting.domain.tenants import create_tenant
from hosting.models import Tenant


class Command(BaseCommand):
    help = "Create a tenant and its owner; prints the owner's API token alone on the last line."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--owner", required=True)
        parser.add_argument("--password")
        parser.add_argument("--kind", choices=Tenant.Kind.values, default=Tenant.Kind.PUBLIC)
        parser.add_argument("--name", default="")

    def handle(self, slug, owner, password, kind, name, **options) -> None:
        if Tenant.objects.filter(slug=slug).exists():
            raise CommandError(f"A tenant named {slug!r} already exists.")
        try:
            tenant, key = create_tenant(slug, owner, password, kind=kind, name=name)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages))
        self.stdout.write(f"Created tenant {tenant.slug} with owner {owner}.")
        self.stdout.write(key)
