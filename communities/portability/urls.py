"""Routes of export, import and claims (kept apart from communities/urls.py to avoid collisions)."""

from django.urls import path

from communities.portability import views as export

urlpatterns = [
    path("c/<slug:slug>/export/", export.export_page, name="community-export"),
    path("c/<slug:slug>/export/jobs/", export.export_status, name="community-export-status"),
    path("c/<slug:slug>/export/members.csv", export.member_csv, name="community-members-csv"),
    path(
        "c/<slug:slug>/export/<int:export_id>/download/",
        export.export_download,
        name="community-export-download",
    ),
    path("c/<slug:slug>/claims/", export.claims_page, name="community-claims"),
    path("c/<slug:slug>/claims.csv", export.claims_csv, name="community-claims-csv"),
    path("import/", export.import_page, name="community-import"),
    path("import/<int:job_id>/", export.import_status, name="community-import-status"),
]
