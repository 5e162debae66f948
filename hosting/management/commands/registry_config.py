"""Render the registry's config.yml and print its path (used by scripts/registry.sh)."""
from pathlib import Path

from django.core.management.base import BaseCommand

from hosting.registry import server


class Command(BaseCommand):
    requires_system_checks = []  # a config file, nothing the checks guard
    help = "Write the registry's config.yml (token auth by this app) and print its path."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="default: $HOSTING_VAR_DIR/registry/config.yml")
        parser.add_argument("--addr", help="listen address (default: REGISTRY_HOST)")
        parser.add_argument("--storage", type=Path, help="storage directory")
        parser.add_argument("--realm", help="token endpoint URL (default: from WEB_ADDR)")

    def handle(self, *args, output=None, addr=None, storage=None, realm=None, **options):
        path = server.write_config(output, addr=addr, storage_dir=storage, realm=realm)
        self.stdout.write(str(path))
