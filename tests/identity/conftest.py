from tests.identity.provider import oidc_provider_for  # noqa: F401 - the fixture
