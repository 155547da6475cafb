"""allauth's login view, answering its "too many failed logins" refusal with 429 + Retry-After.

allauth's own limits are kept as they are (``ACCOUNT_RATE_LIMITS`` defaults: failed logins 10 a
minute per IP and 5 per 5 minutes per account); allauth re-renders the form with an error when
they trip, and this view only turns that answer into a 429 with a ``Retry-After`` header.
"""

from __future__ import annotations

from allauth.account.views import LoginView
from django.forms import Form
from django.http import HttpResponse

# The longer of allauth's two login_failed windows (5/300s per account; 10/m per IP).
LOGIN_FAILED_RETRY_AFTER = 300


class HearthLoginView(LoginView):
    def form_invalid(self, form: Form) -> HttpResponse:
        response = super().form_invalid(form)
        codes = {error.code for error in form.non_field_errors().as_data()}
        if "too_many_login_attempts" in codes:
            response.status_code = 429
            response["Retry-After"] = str(LOGIN_FAILED_RETRY_AFTER)
        return response


login = HearthLoginView.as_view()
