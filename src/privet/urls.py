from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from privet.api import api, register_routers
from privet.integrations.urls import neutral as integrations_neutral
from privet.policy import views as policy_views

register_routers()

# Language-neutral endpoints (APIs, machine-readable documents).
urlpatterns = [
    path("privacy.json", policy_views.privacy_json, name="privacy-json"),
    path("api/", api.urls),
    path("altcha/", include("altcha_django.urls")),  # the contact form's proof-of-work challenges
    # Addresses platforms call: the OAuth redirect URI and webhooks (privet.integrations).
    path("", include((integrations_neutral, "platforms"), namespace="platforms")),
]

# Pages in English at the root and in Polish under /pl/, with translated paths
# (/privacy/ and /pl/polityka-prywatnosci/).
urlpatterns += i18n_patterns(
    path("", include("privet.site.urls")),
    path("", include("privet.policy.urls")),
    path("", include("privet.enquiries.urls")),
    path("", include("privet.consent.urls")),
    path("", include("privet.rights.urls")),  # the banner's demo page
    path("integrations/", include("privet.integrations.urls")),  # the owner's authorisation page
    # The operator panel (/panel/, /pl/panel/) and the Django admin inside it, both behind TOTP.
    path("panel/admin/", admin.site.urls),
    path("panel/", include("privet.panel.urls")),
    prefix_default_language=False,
)

# The site's own error pages, in the page's language and look (privet.core.error_views).
handler400 = "privet.core.error_views.bad_request"
handler403 = "privet.core.error_views.permission_denied"
handler404 = "privet.core.error_views.page_not_found"
handler500 = "privet.core.error_views.server_error"
