#!/usr/bin/env bash
# The parts `make run` supervises, one per line: `<name> <command>` (sourced by
# scripts/run.sh after it has set every address). A second worker queue is one more
# line, e.g. `program worker-control .venv/bin/celery -A hosting worker -Q control ...`.
# Commands are split like a shell would (supervisord's shlex); `%` is escaped for it.

programs() {
  if ! redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1; then
    program redis "redis-server --bind $REDIS_BIND --port $REDIS_PORT --save '' --appendonly no"
  fi
  program podman "podman system service --time=0 $DOCKER_HOST"
  program registry "scripts/registry.sh"
  program router "scripts/router.sh"
  program activator "scripts/activator.sh"
  program web ".venv/bin/gunicorn hosting.wsgi --bind $WEB_ADDR --workers 2 --threads 4 --access-logfile - --no-control-socket"
  # Two lanes (settings.CELERY_TASK_ROUTES): control work never waits behind deploys.
  program worker-control ".venv/bin/celery -A hosting worker -Q control -n control@%h --loglevel INFO --concurrency 2"
  program worker-deploy ".venv/bin/celery -A hosting worker -Q deploy -n deploy@%h --loglevel INFO --concurrency 4"
  program beat ".venv/bin/celery -A hosting beat --loglevel INFO --schedule $HOSTING_VAR_DIR/celerybeat-schedule"
}
