"""The API callers of tests/api (each with a token), for the security tests."""

from tests.api.conftest import outsider_api, owner_api, teammate_api  # noqa: F401
