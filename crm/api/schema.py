"""The OpenAPI schema's conventions: every operation may answer with the one error format."""

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema

from .errors import ERROR_STATUSES, ErrorSerializer


class AutoSchema(BaseAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        error = self._get_response_for_code(ErrorSerializer, "4XX")
        for code in ERROR_STATUSES:
            responses.setdefault(str(code), error)
        return responses
