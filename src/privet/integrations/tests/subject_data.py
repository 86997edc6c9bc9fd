"""One person's data held for a client, for the registry's contract test
(privet/tests/test_registry_contract.py): the profile of the TikTok account they own, kept by
a client's grant. Integration data names people by their platform username, so ``make`` returns
the query a request about them carries: the client and the handle."""

from __future__ import annotations

import dataclasses

from privet.registry import SubjectQuery

from . import factories


def integrations(subject: SubjectQuery, policy) -> SubjectQuery:
    owner = factories.client("contract-client")
    handle = subject.email.split("@")[0].replace(".", "_") + "_tt"
    factories.grant(owner, account_id=f"open-{handle}", username=handle)
    return dataclasses.replace(subject, client=owner.slug, handle=handle)


SUBJECT_DATA = {"integrations": integrations}
