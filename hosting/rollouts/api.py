"""The API's rollout endpoints, mixed into the services view set:
GET services/{id}/rollout/ and POST services/{id}/rollout/pause|resume|promote|rollback/."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from hosting.rollouts import actions, report

ACTIONS = {"pause": actions.pause, "resume": actions.resume, "promote": actions.promote,
           "rollback": actions.roll_back}


class RolloutActions:
    """Endpoints of a service's gradual rollout (the latest one, finished or not)."""

    @extend_schema(summary="The service's latest gradual rollout: step, time left, counters",
                   responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def rollout(self, request: Request, pk=None) -> Response:
        rollout = report.latest(self.get_object())
        if rollout is None:
            raise NotFound("This service has had no gradual rollout.")
        return Response(report.summary(rollout))

    def _act(self, request: Request, name: str) -> Response:
        service = self.get_object()
        ACTIONS[name](service, request.user)
        return Response(report.summary(report.latest(service)))

    @extend_schema(summary="Pause the rollout (409 when none is in progress)", request=None,
                   responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"], url_path="rollout/pause")
    def rollout_pause(self, request: Request, pk=None) -> Response:
        return self._act(request, "pause")

    @extend_schema(summary="Resume a paused rollout: the step's hold starts over", request=None,
                   responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"], url_path="rollout/resume")
    def rollout_resume(self, request: Request, pk=None) -> Response:
        return self._act(request, "resume")

    @extend_schema(summary="Promote now: the new version takes 100%", request=None,
                   responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"], url_path="rollout/promote")
    def rollout_promote(self, request: Request, pk=None) -> Response:
        return self._act(request, "promote")

    @extend_schema(summary="Roll back now: the traffic returns to the previous split",
                   request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"], url_path="rollout/rollback")
    def rollout_rollback(self, request: Request, pk=None) -> Response:
        return self._act(request, "rollback")
