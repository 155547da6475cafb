"""The issue #3 "Done when" journey in headless Chromium, run by hand against a running server.

Not collected by pytest (no test_ prefix). Usage (fresh var dir, two verified users olivia and mo
with password pass-Word-123!x, server on 127.0.0.1:8102 with HEARTH_VAR_DIR=/tmp/hearth-communities):

    .venv/bin/python tests/members/journey_done_when.py

Sign-up email confirmation links are read from the file mail backend in $HEARTH_VAR_DIR/mail.
"""

# ruff: noqa
import glob, os, re, sys, time
from playwright.sync_api import sync_playwright

BASE = "http://127.0.0.1:8102"
MAIL = "/tmp/hearth-communities/mail"
SHOTS = "/tmp/shots-communities"
PW = "pass-Word-123!x"
log = []


def step(msg):
    log.append(msg)
    print("STEP:", msg, flush=True)


def login(page, handle):
    page.goto(BASE + "/accounts/login/")
    page.fill("input[name=login]", handle)
    page.fill("input[name=password]", PW)
    page.click("form button[type=submit]")
    page.wait_for_load_state()


def confirm_link(email):
    deadline = time.time() + 10
    while time.time() < deadline:
        for f in sorted(glob.glob(MAIL + "/*"), key=os.path.getmtime, reverse=True):
            body = open(f).read()
            if email in body:
                m = re.search(r"(http://[^\s]+/accounts/confirm-email/[^\s]+/)", body)
                if m:
                    return m.group(1)
        time.sleep(0.5)
    raise SystemExit("no confirmation mail for " + email)


with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    # 1. Owner creates an approval community with screening questions.
    owner = browser.new_context()
    op = owner.new_page()
    login(op, "olivia")
    op.goto(BASE + "/communities/new/")
    op.fill("#id_name", "Night Owls")
    op.fill("#id_purpose", "People who do their best work after midnight.")
    op.fill("#id_guidelines_md", "Be **kind**. No selling.")
    op.select_option("#id_visibility", "listed")
    op.select_option("#id_join_policy", "approval")
    op.fill("#id_time_zone", "Europe/Berlin")
    op.fill("#id_question_1", "What keeps you up at night?")
    op.fill("#id_question_2", "Favourite late-night snack?")
    op.click("form.stack-form button[type=submit]")
    op.wait_for_load_state()
    assert op.url.endswith("/c/night-owls/"), op.url
    op.screenshot(path=f"{SHOTS}/1-owner-home.png", full_page=True)
    step("owner created listed+approval community 'Night Owls' with 2 screening questions -> " + op.url)
    # Secret+approval refused with a message.
    op.goto(BASE + "/communities/new/")
    op.fill("#id_name", "Hidden")
    op.fill("#id_purpose", "x")
    op.select_option("#id_visibility", "secret")
    op.select_option("#id_join_policy", "approval")
    op.click("form.stack-form button[type=submit]")
    assert "secret community can only be joined by invite" in op.content()
    assert op.input_value("#id_name") == "Hidden"
    step("create form refused secret+approval with a clear message, input kept")
    # Make mo a moderator: mo joins via an owner invite first.
    op.goto(BASE + "/c/night-owls/invites/")
    op.fill("#id_max_uses", "1")
    op.fill("#id_note", "for Sam")
    op.click("form.inline-fields button[type=submit]")
    op.wait_for_load_state()
    link = op.input_value(".invite-link input")
    assert "/invite/" in link
    op.screenshot(path=f"{SHOTS}/2-invites.png", full_page=True)
    step("owner created an invite link (1 use, 7 days, note 'for Sam'): " + link[:40] + "...")
    # 2. Second browser: signs up through the link (email verification is mandatory).
    sam = browser.new_context()
    sp = sam.new_page()
    sp.goto(link)
    assert "You're invited to Night Owls" in sp.content()
    sp.screenshot(path=f"{SHOTS}/3-invite-landing.png", full_page=True)
    sp.click("text=Sign up")
    sp.wait_for_load_state()
    sp.fill("input[name=email]", "sam@example.com")
    sp.fill("input[name=username]", "sam")
    sp.fill("input[name=password1]", PW)
    sp.fill("input[name=password2]", PW)
    sp.click("form button[type=submit]")
    sp.wait_for_load_state()
    step("sam signed up from the invite page -> " + sp.url)
    url = confirm_link("sam@example.com")
    sp.goto(url)
    sp.click("form button[type=submit]")
    sp.wait_for_load_state()
    step("sam confirmed the email (link read from the file mail backend) -> " + sp.url)
    assert sp.url.endswith("/invite/accept/"), sp.url
    sp.click("text=Accept and join Night Owls")
    sp.wait_for_load_state()
    assert sp.url.endswith("/c/night-owls/"), sp.url
    assert "You're a member" in sp.content()
    sp.screenshot(path=f"{SHOTS}/4-sam-member.png", full_page=True)
    step("sam accepted and landed on the community as a member")
    # Attribution on the owner's invites page.
    op.goto(BASE + "/c/night-owls/invites/")
    content = op.content()
    assert "1 of 1 use" in content and "sam" in content
    assert "Referrals by inviter" in content
    step("owner's invites page shows 1 of 1 use, joined: sam; per-inviter totals table")
    # Owner makes mo a moderator: mo joins through another invite, then role change.
    op.fill("#id_max_uses", "1")
    op.click("form.inline-fields button[type=submit]")
    op.wait_for_load_state()
    link2 = op.input_value(".invite-link input")
    mo = browser.new_context()
    mp = mo.new_page()
    login(mp, "mo")
    mp.goto(link2)
    mp.click("text=Accept and join Night Owls")
    mp.wait_for_load_state()
    op.goto(BASE + "/c/night-owls/members/")
    row = op.locator("tr", has_text="@mo")
    row.locator("select").select_option("moderator")
    row.locator("button").click()
    op.wait_for_load_state()
    assert "is now moderator" in op.content()
    step("owner made mo a moderator on the members page")
    # 3. Third person applies, answers the questions.
    tia = browser.new_context()
    tp = tia.new_page()
    tp.goto(BASE + "/accounts/signup/")
    tp.fill("input[name=email]", "tia@example.com")
    tp.fill("input[name=username]", "tia")
    tp.fill("input[name=password1]", PW)
    tp.fill("input[name=password2]", PW)
    tp.click("form button[type=submit]")
    tp.wait_for_load_state()
    tp.goto(confirm_link("tia@example.com"))
    tp.click("form button[type=submit]")
    tp.wait_for_load_state()
    tp.goto(BASE + "/communities/?q=midnight")
    assert "Night Owls" in tp.content()
    tp.click("text=Night Owls")
    tp.wait_for_load_state()
    tp.click("text=Apply to join")
    tp.wait_for_load_state()
    tp.click("form.stack-form button[type=submit]")
    tp.wait_for_load_state()
    assert "Please answer this question." in tp.content()
    tp.fill("#id_answer_1", "Deadlines and owls.")
    tp.fill("#id_answer_2", "Toast")
    tp.click("form.stack-form button[type=submit]")
    tp.wait_for_load_state()
    assert "Your request is pending" in tp.content()
    tp.screenshot(path=f"{SHOTS}/5-tia-pending.png", full_page=True)
    step(
        "tia (signed up normally) found it in the directory search, applied (empty answers refused), sees pending"
    )
    # Moderator approves with htmx.
    mp.goto(BASE + "/c/night-owls/")
    assert "badge" in mp.content()
    mp.goto(BASE + "/c/night-owls/requests/")
    assert "Deadlines and owls." in mp.content()
    mp.screenshot(path=f"{SHOTS}/6-requests.png", full_page=True)
    mp.fill("textarea[name=reason]", "Welcome, night owl!")
    mp.click("text=Approve")
    mp.wait_for_selector("text=request was approved")
    assert mp.url.endswith("/requests/")  # inline, no page load
    mp.screenshot(path=f"{SHOTS}/7-approved-inline.png", full_page=True)
    step("moderator mo saw the pending badge, approved inline (htmx) with a note")
    tp.goto(BASE + "/c/night-owls/")
    assert "You're a member" in tp.content()
    step("tia is now a member")
    # 4. Secret community: logged-out visitor and non-member get 404.
    op.goto(BASE + "/communities/new/")
    op.fill("#id_name", "Quiet Room")
    op.fill("#id_purpose", "A secret place.")
    op.select_option("#id_visibility", "secret")
    op.select_option("#id_join_policy", "invite_only")
    op.click("form.stack-form button[type=submit]")
    op.wait_for_load_state()
    assert op.url.endswith("/c/quiet-room/")
    anon = browser.new_context()
    ap = anon.new_page()
    r = ap.goto(BASE + "/c/quiet-room/")
    assert r.status == 404, r.status
    r2 = ap.goto(BASE + "/c/no-such-room/")
    assert r2.status == 404
    r = tp.goto(BASE + "/c/quiet-room/")
    assert r.status == 404, r.status
    r = tp.goto(BASE + "/c/quiet-room/members/")
    assert r.status == 404
    tp.goto(BASE + "/communities/?q=quiet")
    assert "Quiet Room" not in tp.content()
    step(
        "secret 'Quiet Room': logged-out visitor 404, non-member tia 404 (home and members), absent from directory"
    )
    # Phone layout screenshot.
    phone = browser.new_context(viewport={"width": 375, "height": 740})
    pp = phone.new_page()
    login(pp, "olivia")
    pp.goto(BASE + "/c/night-owls/members/")
    pp.screenshot(path=f"{SHOTS}/8-phone-members.png", full_page=True)
    browser.close()
print("\n".join(log))
