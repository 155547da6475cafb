"""Forms for the personal-data page (account deletion) and account claims."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import LoginForm, SignupForm
from allauth.account.models import EmailAddress
from django import forms
from django.contrib.auth import password_validation

from members.models import User


class AccountDeleteForm(forms.Form):
    POSTS_KEEP = "keep"
    POSTS_REMOVE = "remove"
    posts = forms.ChoiceField(
        label="Your posts",
        choices=[
            (POSTS_KEEP, "Keep them, shown as written by “Deleted member” (conversations stay whole)"),
            (POSTS_REMOVE, "Remove them (threads you started are removed with their replies)"),
        ],
        initial=POSTS_KEEP,
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label="Your password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    confirm = forms.BooleanField(label="I understand this cannot be undone.")

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


class ClaimForm(forms.Form):
    email = forms.EmailField(
        label="Your email address", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password1 = forms.CharField(
        label="Choose a password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="The password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self) -> str:

        email = self.cleaned_data["email"].lower()
        if (
            EmailAddress.objects.filter(email__iexact=email).exists()
            or User.objects.filter(email__iexact=email).exists()
        ):
            raise forms.ValidationError(
                "An account with this email already exists here. Log in to it instead; an existing "
                "account cannot take over an imported one."
            )
        return email

    def clean(self) -> dict:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            try:
                password_validation.validate_password(p1, self.user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


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
