"""`python -m hosting.activator --port 8081`: the activator as its own process."""
import argparse
import logging
import os


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hosting.settings")
    import django

    django.setup()
    from aiohttp import web
    from django.conf import settings

    from hosting.activator.app import make_app

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.ACTIVATOR_PORT)
    parser.add_argument("--hold-seconds", type=float, default=settings.ACTIVATOR_HOLD_SECONDS)
    parser.add_argument("--no-converge", action="store_true",
                        help="leave convergence to the workers instead of starting it here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    app = make_app(args.hold_seconds, converge=not args.no_converge)
    web.run_app(app, host=args.host, port=args.port, access_log=None,
                print=lambda msg: print(f"activator: {msg}", flush=True))


if __name__ == "__main__":
    main()
