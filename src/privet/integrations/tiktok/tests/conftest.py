"""The integrations tests' fixtures (the TikTok contract fake, clients, links), here too."""

from privet.integrations.tests.conftest import (  # noqa: F401
    account_grant,
    make_client,
    make_link,
    make_operator,
    tiktok_fake,
)
