from django.urls import path

from metrics import views

urlpatterns = [
    path("c/<slug:slug>/dashboard/", views.dashboard, name="metrics-dashboard"),
    path("c/<slug:slug>/dashboard/definitions/", views.definitions, name="metrics-definitions"),
    path("c/<slug:slug>/dashboard/export.csv", views.export, {"fmt": "csv"}, name="metrics-export-csv"),
    path("c/<slug:slug>/dashboard/export.json", views.export, {"fmt": "json"}, name="metrics-export-json"),
]
