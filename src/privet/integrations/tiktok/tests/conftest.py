"""The integrations tests' fixtures (the TikTok contract fake, clients, links), here too."""

from privet.integrations.tests.conftest import account_grant, make_client, make_link, tiktok_fake  # noqa: F401
