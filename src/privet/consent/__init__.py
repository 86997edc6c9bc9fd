"""Cookie consent: the embeddable banner, script gating, GPC, Consent Mode v2, and receipts."""

# Sent with every receipt; bump it when the banner's wording or behaviour changes materially.
BANNER_VERSION = "2"
