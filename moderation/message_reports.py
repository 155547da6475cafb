"""Reports of private messages to a community's moderators, and their resolution (dismiss, or
warn / mute / ban the sender through ``moderation.sanctions``, recorded by ``moderation.audit``).

The reporter chooses a community they share with the sender; the moderators get copies of the
reported message and of the ones the reporter chose to include, nothing else
(``members.access.report_communities`` says where a message may be reported).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from members import access
from members.messages.limits import MessagingRefused
from members.messages.models import Message, MessageReport, ReportedMessage
from members.models import Membership, User
from moderation import ratelimit
from moderation.audit import audit
from moderation.models import AuditAction, FlagReason
from moderation.sanctions import member_ban, member_mute, member_warn
from moderation.services import AlreadyHandled

MAX_INCLUDED_IN_REPORT = 20
REPORTS_PER_DAY = 20


@transaction.atomic
def message_report_create(
    *,
    reporter: User,
    message: Message,
    community_id: int,
    include_ids: list[int] | None = None,
    reason: str,
    note: str = "",
) -> MessageReport:
    """Report a message to the moderators of a community the reporter shares with its sender.
    The moderators get copies of that message and of the ones the reporter chose to include
    (only messages of the same conversation the reporter can see), nothing else."""
    if reason not in FlagReason.values:
        raise MessagingRefused("Choose a reason.", code="reason")
    if community_id not in {c.pk for c in access.report_communities(reporter, message)}:
        raise MessagingRefused("Choose a community you share with this person.", code="community")
    ids = {int(i) for i in (include_ids or []) if str(i).isdigit()} - {message.pk}
    if len(ids) > MAX_INCLUDED_IN_REPORT:
        raise MessagingRefused(f"Include at most {MAX_INCLUDED_IN_REPORT} other messages.", code="too_many")
    included = list(
        Message.objects.filter(pk__in=ids, conversation_id=message.conversation_id, deleted_at__isnull=True)
        .exclude(sender_id__in=access.blocked_by_me(reporter))
        .order_by("created_at", "pk")
    )
    ratelimit.hit(
        ratelimit.Limit("pm-report-day", REPORTS_PER_DAY, 24 * 3600),
        str(reporter.pk),
        message=f"You can report {REPORTS_PER_DAY} messages a day. You can report another {{when}}.",
    )
    try:
        with transaction.atomic():
            report = MessageReport.objects.create(
                community_id=community_id,
                message=message,
                reporter=reporter,
                reported_user_id=message.sender_id,
                reason=reason,
                note=(note or "").strip()[:500],
            )
    except IntegrityError:
        raise MessagingRefused("You already reported this message.", code="duplicate") from None
    ReportedMessage.objects.bulk_create(
        [
            ReportedMessage(
                report=report,
                message=m,
                sender_id=m.sender_id,
                body_html=m.body_html,
                sent_at=m.created_at,
                is_reported=m.pk == message.pk,
            )
            for m in sorted([message, *included], key=lambda m: (m.created_at, m.pk))
        ]
    )
    return report


REPORT_ACTIONS = ("dismiss", "warn", "mute", "ban")


@transaction.atomic
def message_report_resolve(
    *, actor: Membership, report: MessageReport, action: str, reason: str = "", mute_days: int | None = None
) -> MessageReport:
    """Dismiss a message report, or warn / mute / ban the sender in this community, in one step
    recorded in the audit log. Of two moderators acting at once, the second gets AlreadyHandled."""
    if action not in REPORT_ACTIONS:
        raise ValidationError("Choose dismiss, warn, mute or ban.")
    if not access.is_staff(actor) or report.community_id != actor.community_id:
        raise PermissionDenied("Only this community's moderators can handle this report.")
    report = MessageReport.objects.select_for_update().get(id=report.id)
    if report.resolved_at is not None:
        raise AlreadyHandled(User.objects.filter(id=report.resolved_by_id or 0).first(), "This report")
    if action != "dismiss":
        target = Membership.objects.filter(
            community_id=report.community_id, user_id=report.reported_user_id or 0
        ).first()
        if target is None:
            raise ValidationError("The sender is not a member of this community.")
        if action == "warn":
            member_warn(
                actor=actor,
                target=target,
                reason=reason or "Please follow the community's guidelines in private messages too.",
            )
        elif action == "mute":
            member_mute(actor=actor, target=target, days=mute_days or 1, reason=reason)
        else:
            member_ban(actor=actor, target=target, reason=reason)
    now = timezone.now()
    report.resolved_at = now
    report.resolved_by = actor.user
    report.resolution = "dismissed" if action == "dismiss" else action
    report.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    audit(
        community_id=report.community_id,
        actor=actor.user,
        action=AuditAction.MESSAGE_REPORT_RESOLVED,
        reason=reason,
        target_user_id=report.reported_user_id,
        data={"message_report": report.pk, "resolution": report.resolution},
    )
    return report
