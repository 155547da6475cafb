"""One-time submission keys: a repeated form submission returns the first result.

See docs/submissions.md. ``forms.SubmissionKeyField`` / ``SubmissionKeyMixin`` put a fresh key in
every create form (rendered by ``templates/_submission_key.html``); ``services.submit_once`` runs
the create once per (person, key) and, for a repeat, loads what the first run made.
"""
