#!/usr/bin/env bash
# With `make run` running: build the offline demo image (busybox httpd, no network),
# push it to the demo service's repository with podman, deploy it with 100% of the
# traffic through the REST API, and print the URL it answers at on the router.
set -euo pipefail
cd "$(dirname "$0")/.."
export HOSTING_VAR_DIR="${HOSTING_VAR_DIR:-$PWD/var}" DEBUG="${DEBUG:-1}"
WEB="http://${WEB_ADDR:-127.0.0.1:8000}"; REGISTRY="${REGISTRY_HOST:-127.0.0.1:5000}"
TAG="${1:-v$(date +%s)}"

image=$(docker/testimages/build.sh localhost/hosting-demo httpd | tail -n 1)
podman login --tls-verify=false -u demo -p demo-password "$REGISTRY" >/dev/null
podman tag "$image" "$REGISTRY/demo/testservice:$TAG"
podman push -q --tls-verify=false "$REGISTRY/demo/testservice:$TAG"

token=$(.venv/bin/python manage.py shell -v 0 -c "
from django.contrib.auth import get_user_model
from hosting.models import ApiToken
print(ApiToken.issue(get_user_model().objects.get(username='demo'), 'demo_deploy')[1])")
service=$(curl -fsS "$WEB/api/v1/services/?name=testservice" -H "Authorization: Token $token" \
  | .venv/bin/python -c "import json,sys; print(json.load(sys.stdin)['results'][0]['id'])")
version=$(curl -fsS -X POST "$WEB/api/v1/versions/" -H "Authorization: Token $token" \
  -H "Content-Type: application/json" -d "{\"service\": $service, \"image_tag\": \"$TAG\",
  \"port\": 8080, \"traffic_policy\": \"open_full\", \"initial_delay_seconds\": 0,
  \"description\": \"demo $TAG\", \"env\": {\"MESSAGE\": \"hello from the demo\"}}" \
  | .venv/bin/python -c "import json,sys; print(json.load(sys.stdin)['id'])")

for _ in $(seq 150); do
  status=$(curl -fsS "$WEB/api/v1/versions/$version/" -H "Authorization: Token $token" \
    | .venv/bin/python -c "import json,sys; print(json.load(sys.stdin)['status'])")
  [ "$status" = creating ] || break
  sleep 0.2
done
echo "version $version: $status"
[ "$status" = normal ] || exit 1
url="http://testservice.demo.${APPS_DOMAIN:-apps.localhost}:${ROUTER_PORT:-8080}/"
echo "$url"
curl -fsS "$url"
