"""Demo enquiries in every status, for `privet demo` (idempotent: skipped once they exist)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from . import services
from .models import Enquiry

DEMO_DOMAIN = "@demo.example.com"
ACTOR = "system:demo"

# (days ago received, channel, data, [(status, days ago), ...], note)
ENQUIRIES = [
    (1, "email", {"name": "Anna Kowalska", "company": "Kowalska Design", "email": "anna",
                  "phone": "+48 600 100 200", "project_type": "web_app",
                  "message": "We need a booking panel for our studio: calendar, reminders and payments."},
     [], ""),
    (3, "phone", {"name": "Tomasz Wiśniewski", "company": "", "email": "tomasz",
                  "phone": "+48 501 222 333",
                  "project_type": "website",
                  "message": "A simple site for a family bakery, in Polish and English."},
     [], "Called on Monday; prefers email for the offer."),
    (20, "email", {"name": "Jane Miller", "company": "Northwind Retail", "email": "jane",
                   "phone": "", "project_type": "integration",
                   "message": "Connect our shop with the courier's API and our warehouse system."},
     [("offer", 12)], "Offer sent: two phases, API first."),
    (120, "email", {"name": "Piotr Zieliński", "company": "Zieliński Logistics", "email": "piotr",
                    "phone": "+48 32 285 12 34", "project_type": "panel",
                    "message": "An operational panel for dispatchers, with TikTok LIVE order intake."},
     [("offer", 110), ("project", 95)], "Contract signed; kick-off in the office."),
    (900, "other", {"name": "Eva Novak", "company": "Novak s.r.o.", "email": "eva", "phone": "",
                    "project_type": "support", "message": "Maintenance of an older Django site."},
     [("offer", 890), ("project", 880), ("ended", 500)], ""),
    (60, "email", {"name": "Marek Lewandowski", "company": "", "email": "marek", "phone": "",
                   "project_type": "other", "message": "Could you help with a mobile app?"},
     [("closed", 55)], "Out of scope (native mobile app); recommended a partner studio."),
]


def load(stdout) -> None:
    if Enquiry.objects.filter(email__endswith=DEMO_DOMAIN).exists():
        stdout.write("Demo enquiries already loaded.")
        return
    now = timezone.now()
    for days, channel, data, steps, note in ENQUIRIES:
        data = {**data, "email": data["email"] + DEMO_DOMAIN}
        enquiry = services.log_enquiry(data=data, actor=ACTOR, channel=channel,
                                       received_at=now - timedelta(days=days))
        for status, ago in steps:
            services.change_status(enquiry=enquiry, to_status=status, actor=ACTOR,
                                   at=now - timedelta(days=ago))
        if note:
            services.add_note(enquiry=enquiry, body=note, actor=ACTOR,
                              at=now - timedelta(days=max(0, days - 1)))
    stdout.write(f"Loaded {len(ENQUIRIES)} demo enquiries.")
