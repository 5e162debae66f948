"""Print the Kubernetes objects a version becomes, as YAML, for review (no cluster needed)."""
import yaml
from django.core.management.base import BaseCommand, CommandError

from hosting.models import Version
from hosting.runtimes.kubernetes import manifests

HIDDEN = "<hidden>"


class Command(BaseCommand):
    help = "Print the YAML of the Kubernetes objects for a version (secret values hidden)."

    def add_arguments(self, parser):
        parser.add_argument("version", type=int, help="the version's id")
        parser.add_argument("--replicas", type=int, default=None,
                            help="replicas to show (default: the version's desired instances)")

    def handle(self, *args, version: int, replicas=None, **options):
        found = Version.objects.filter(pk=version).select_related("service__tenant").first()
        if found is None:
            raise CommandError(f"No version with id {version}.")
        auth = {"username": HIDDEN, "password": HIDDEN, "serveraddress": manifests.registry_host()}
        count = found.desired_instances if replicas is None else replicas
        objects = [hide_secrets(m) for m in manifests.version_objects(found, auth, count)]
        self.stdout.write(yaml.safe_dump_all(objects, sort_keys=False), ending="")


def hide_secrets(manifest: dict) -> dict:
    """Secrets are write-only: show their keys, never their values."""
    if manifest["kind"] != "Secret":
        return manifest
    data = {key: HIDDEN for key in manifest.get("stringData", {})}
    return {**manifest, "stringData": data}
