"""API tokens: sign in with an email and password for a token (shown once; only its hash is kept),
sign out to revoke it. Sign-in is behind the same lockout as the login page (django-axes)."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_out
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .errors import ApiError, ErrorSerializer


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send it as "Authorization: Token <token>". Shown only now.')
    expiry = serializers.DateTimeField(allow_null=True, help_text="When it stops working")


class TokenLogin(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_token_create",
        summary="Get an API token with your email and password",
        request=TokenRequestSerializer,
        responses={
            201: TokenSerializer,
            400: ErrorSerializer,
            429: OpenApiResponse(ErrorSerializer, description="Too many failed attempts: wait, then retry."),
        },
        auth=[],
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        django_request = request._request  # django-axes counts failures on Django's request
        user = authenticate(
            django_request,
            username=data.validated_data["email"].lower(),
            password=data.validated_data["password"],
        )
        if getattr(django_request, "axes_locked_out", False):
            # AxesMiddleware answers with crm.companies.lockout.response; this is the same.
            raise ApiError(429, "locked_out", settings.AXES_COOLOFF_MESSAGE)
        if user is None:
            raise ApiError(400, "invalid_credentials", "The email or password is not right.")
        instance, token = AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
        return Response(TokenSerializer({"token": token, "expiry": instance.expiry}).data, status=201)


class TokenLogout(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_token_delete",
        summary="Revoke the token this request is made with",
        request=None,
        responses={204: OpenApiResponse(description="Revoked")},
    )
    def post(self, request):
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
            user_logged_out.send(sender=request.user.__class__, request=request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
