"""A first journey through the real browser: sign up, confirm the email, arrive logged in."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_confirm_and_arrive(journey, mailoutbox, make_community):
    make_community(name="Garden Friends", visibility="public", join_policy="open")
    j = journey("signup")
    page = j.page
    page.goto("/")
    j.snapshot("home anonymous")
    page.get_by_role("link", name="Sign up").first.click()
    page.locator("input[name=email]").fill("rosa@example.com")
    page.locator("input[name=username]").fill("rosa")
    page.locator("input[name=password1]").fill("a very long password 9")
    page.locator("input[name=password2]").fill("a very long password 9")
    j.snapshot("signup filled")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert len(mailoutbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[0].body).group(0)
    page.goto(link)
    j.snapshot("confirm email")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "@rosa" in page.content()
    assert "Garden Friends" in page.content()
    j.snapshot("home logged in")
    j.assert_clean()
