"""Creating tenants with their owner, used by the management commands and tests."""
from django.contrib.auth import get_user_model
from django.db import transaction

from hosting import rules
from hosting.models import ApiToken, Membership, Tenant


@transaction.atomic
def create_tenant(slug: str, owner_username: str, password: str | None = None,
                  kind: str = Tenant.Kind.PUBLIC, name: str = "") -> tuple[Tenant, str]:
    """Create the tenant and its owner (or reuse the user); return the owner's new API key."""
    rules.check_dns_label(slug, "slug")
    tenant = Tenant.objects.create(slug=slug, name=name or slug, kind=kind)
    User = get_user_model()
    user, created = User.objects.get_or_create(username=owner_username)
    if password:
        user.set_password(password)
        user.save(update_fields=["password"])
    elif created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Membership.objects.create(user=user, tenant=tenant, role=Membership.Role.OWNER)
    _token, key = ApiToken.issue(user, name=f"{slug} bootstrap")
    return tenant, key
