from django.urls import path

from .views import audit, auth, consent, dashboard, enquiries, outbox, policy, rights, security

app_name = "panel"
urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("login/", auth.sign_in, name="login"),
    path("login/verify/", auth.verify, name="verify"),
    path("login/enrol/", auth.enrol, name="enrol"),
    path("login/recovery/", auth.recovery, name="recovery"),
    path("account/recovery-codes/", auth.recovery_codes, name="recovery_codes"),
    path("logout/", auth.sign_out, name="logout"),
    path("enquiries/", enquiries.enquiry_list, name="enquiries"),
    path("enquiries/new/", enquiries.enquiry_new, name="enquiry_new"),
    path("enquiries/<int:pk>/", enquiries.enquiry_detail, name="enquiry_detail"),
    path("enquiries/<int:pk>/status/", enquiries.enquiry_status, name="enquiry_status"),
    path("enquiries/<int:pk>/notes/", enquiries.enquiry_note, name="enquiry_note"),
    path("enquiries/<int:pk>/mail/<str:kind>/", enquiries.enquiry_resend_mail, name="enquiry_resend_mail"),
    path("rights/", rights.rights_list, name="rights"),
    path("rights/new/", rights.rights_new, name="rights-new"),
    path("rights/pause/", rights.rights_pause, name="rights-pause"),
    path("rights/resume/", rights.rights_resume, name="rights-resume"),
    path("rights/<int:pk>/", rights.rights_request, name="rights-request"),
    path("rights/<int:pk>/<str:action>/", rights.rights_action, name="rights-action"),
    path("audit/", audit.audit_log, name="audit"),
    path("audit/export.csv", audit.audit_export, name="audit_export"),
    path("audit/verify/", audit.audit_verify, name="audit_verify"),
    path("security/", security.security_event_list, name="security_events"),
    path("consent/", consent.consent_overview, name="consent"),
    path("consent/receipts.csv", consent.receipts_export, name="consent_export"),
    path("policy/", policy.policy_versions, name="policy_versions"),
    path("outbox/", outbox.outbox, name="outbox"),
]
