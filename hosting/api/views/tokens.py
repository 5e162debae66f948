"""API tokens: created (the key is shown once), listed by prefix, revoked by their owner."""
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.response import Response

from hosting.api.serializers import TokenCreatedSerializer, TokenSerializer
from hosting.models import ApiToken


@extend_schema_view(
    list=extend_schema(summary="Your active API tokens (prefix only)"),
    create=extend_schema(summary="Create an API token; the key is in this response only",
                         request=TokenSerializer, responses={201: TokenCreatedSerializer}),
    destroy=extend_schema(summary="Revoke one of your tokens"),
)
class TokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = TokenSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = ApiToken.objects.filter(revoked=None)

    def get_queryset(self):
        return super().get_queryset().filter(user=self.request.user).order_by("-created", "-id")

    def create(self, request, *args, **kwargs):
        serializer = TokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = ApiToken.issue(request.user, name=serializer.validated_data.get("name", "default"))
        token.key = key
        return Response(TokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ApiToken) -> None:
        instance.revoke()
