"""allauth's account forms with Hearth's words: people log in with an email or a @handle."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import LoginForm, SignupForm


class HearthLoginForm(LoginForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = "Email or handle"
        login.widget.attrs.update(
            {"placeholder": "you@example.org or your_handle", "autocomplete": "username"}
        )
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"
        if "remember" in self.fields:
            self.fields["remember"].label = "Keep me logged in on this device"


class HearthSignupForm(SignupForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        handle = self.fields["username"]
        handle.label = "Handle"
        handle.help_text = "How people @mention you: 3 to 30 letters, digits or underscores."
        handle.widget.attrs.update({"placeholder": "e.g. ada_o", "autocomplete": "username"})
        self.fields["email"].help_text = "We send a link to confirm it; it is never shown to other members."
