# ruff: noqa: E501 - a table of sentences reads best one sentence a line
"""The product's wordings, by message identifier (see webapp.messages for how they are used).

One wording per message: a sentence needed in two places is one entry used twice. Parameters
are named in braces; `{x!c}` capitalises the parameter that opens a sentence.
"""

WORDINGS: dict[str, str] = {
    "legacy.text": "{text}",
    "two_sentences": "{first} {second}",
    # --- domains (webapp.services.domains) ---
    "domain.duplicate": "This domain is already registered here.",
    "domain.created": "The domain {domain} was created.",
    "domain.being_set_up": "It is being set up on the mail platform.",
    "domain.not_checked_disabled": "A disabled domain is not checked. Platform staff can enable it.",
    "domain.check_recorded": "The check is recorded.",
    "domain.check_started": "A new check has started.",
    "domain.import_enabled_only": "Only an enabled domain can be imported from the mail platform.",
    "domain.import_started": "The import has started; what the mail platform has appears in a moment.",
    "domain.choose_status": "Choose one of the listed statuses.",
    "domain.status_already": "The domain is already {status}.",
    "domain.status_now": "The domain is now {status}.",
    "domain.drift_started": "The comparison with the mail platform has started.",
    "domain.push_enabled_only": "Only an enabled domain can be sent again to the mail platform.",
    "domain.push_started": "What the mail platform lost is being sent again; compare again in a moment.",
    # --- mailboxes (webapp.services.mailboxes) ---
    "mailbox.domain_disabled": "This domain is disabled: its mailboxes cannot be changed.",
    "mailbox.name_taken": "{name} already has a mailbox here ({address}): the webmail needs a different name for each person.",
    "mailbox.name_looks_taken": "“{name}” looks the same as “{holder}”, who already has a mailbox here ({address}): the webmail needs names that people can tell apart.",
    "mailbox.exists": "{address} already exists.",
    "mailbox.name_taken_meanwhile": "{name} was given to another mailbox at the same moment.",
    "mailbox.secondary_is_itself": "Use another address than the new mailbox itself: the confirmation goes there.",
    "mailbox.recorded_for_later": "{address} is recorded. It is created on the mail platform as soon as the domain is ready, and its confirmation email is sent then.",
    "mailbox.recorded": "{address} is recorded.",
    "mailbox.being_created": "{address} is being created on the mail platform.",
    "mailbox.names_being_sent": "The new names are being sent to the mail platform.",
    "mailbox.saved": "The mailbox is saved.",
    "mailbox.already_enabled": "The mailbox is already enabled.",
    "mailbox.already_disabled": "The mailbox is already disabled.",
    "mailbox.saved_until_created": "Saved; it applies when the mailbox is created.",
    "mailbox.being_enabled": "{address} is being enabled on the mail platform.",
    "mailbox.being_disabled": "{address} is being disabled on the mail platform.",
    "mailbox.sent_when_ready": "It will be sent when the domain is ready.",
    "mailbox.trying_again": "Trying again.",
    "mailbox.confirmation_owed": "The confirmation is owed.",
    "mailbox.confirmation_being_sent": "The confirmation is being sent to {recipient}.",
    "mailbox.saved_short": "Saved.",
    "mailbox.not_in_dimail_yet": "The mailbox does not exist on the mail platform yet.",
    "mailbox.no_secondary": "This mailbox has no secondary email to send it to: add one first.",
    "mailbox.action_not_supported": "This mail platform (an older dimail) does not offer this action.",
    "mailbox.password_being_sent": "A new password is being generated and sent to {recipient}.",
    "mailbox.login_link_being_sent": "A login link is being sent to {recipient}.",
    # --- aliases (webapp.services.aliases) ---
    "alias.domain_disabled": "This domain is disabled: its aliases cannot be changed.",
    "alias.to_itself": "An alias cannot send mail to itself.",
    "alias.duplicate": "{address} already sends to {destination}.",
    "alias.recorded_for_later": "{pair} is recorded; it is sent when the domain is ready.",
    "alias.recorded": "{pair} is recorded.",
    "alias.being_added": "{pair} is being added on the mail platform.",
    "alias.trying_again": "Trying {pair} again on the mail platform.",
    "alias.no_such": "There is no such alias (it may have been removed already).",
    "alias.will_be_removed": "{what} will be removed.",
    "alias.being_removed": "{what} is being removed from the mail platform.",
    "alias.removed_when_ready": "{what} will be removed from the mail platform as soon as the domain is ready.",
    "alias.removed": "{what} is removed.",
    # --- collaborators (webapp.services.accesses, webapp.permissions) ---
    "access.busy": "Someone else is changing this domain's collaborators right now: try again in a moment.",
    "access.gone": "This person is not a collaborator of the domain (any more).",
    "access.choose_role": "Choose viewer, administrator or owner.",
    "access.already": "{email} is already {role}.",
    "access.now": "{email} is now {role}.",
    "access.last_owner_leaving": "You are the last owner: make someone else owner before leaving.",
    "access.last_owner": "A domain keeps at least one owner: make someone else owner first.",
    "access.only_managers": "Only the domain's administrators and owners manage its collaborators.",
    "access.owner_by_owner": "Only an owner can change or remove an owner.",
    "access.above_own": "You cannot give a role above your own.",
    "access.owner_invitation": "Only an owner can re-send or cancel an invitation to be owner.",
    # --- what a failed job says (webapp.jobs.failures) ---
    "failure.unreachable": "The mail platform could not be reached for {what} ({detail}).",
    "failure.credentials": (
        "This application could not log in to the mail platform for {what}: dimail refused its "
        "credentials. The platform's staff must check DIMAIL_USER and DIMAIL_PASSWORD."
    ),
    "failure.no_grant": (
        "This application's dimail account has no rights on this domain, so {what} could not "
        "be done. The domain probably exists in dimail under another account: the platform's "
        "staff must grant it to this application's account."
    ),
    "failure.not_supported": "This mail platform (an older dimail) does not offer {feature}.",
    "failure.bad_answer": (
        "The mail platform gave an answer this application cannot use for {what} ({detail}). "
        "The platform's staff can find the details in the log."
    ),
    "failure.settings": "This application's dimail settings are wrong ({detail}).",
    "failure.refused": "dimail refused {what}: {detail}",
    "failure.mail_down": "{what!c} could not be sent ({detail}).",
    "failure.mail_refused": (
        "{what!c} could not be delivered: the mail server refused the address."
    ),
    "failure.unexpected": "An unexpected error stopped {what} ({detail}).",
    "failure.retrying": "{cause} It is tried again automatically.",
    "failure.given_up": "{cause} It was tried several times; {again} once the cause is gone.",
    "failure.every_few_minutes": "{cause} It is tried again automatically, every few minutes.",
    # why dimail refused, in our words
    "refusal.webmail_context": (
        "the domain is already mapped to the webmail context {context} in dimail; the "
        "platform's staff must move it or remove it from that context"
    ),
    "refusal.display_name_taken": (
        "the name “{name}” is already used in the webmail by {holder}; change the first or "
        "last name"
    ),
    "refusal.address_taken": "{address} already exists in dimail for someone else",
    "refusal.creation_failed": "dimail failed to create the mailbox ({detail})",
    # what the person does once the cause is gone
    "again.retry": "press Retry",
    "again.check_now": "press Check now",
    "again.send_again": "press Send again",
    "again.new_password": "ask for a new password again",
    "again.login_link": "send the link again",
    "again.import": "import again",
    "again.compare": "compare again",
    # the work a failure is about
    "work.mailbox_creation": "the creation of {address}",
    "work.mailbox_change": "a change to {address}",
    "work.mailbox_gone": "a mailbox since removed",
    "work.mailbox_batch": "sending these mailboxes to the mail platform",
    "work.alias": "the alias {pair}",
    "work.alias_removal": "the removal of the alias {pair}",
    "work.alias_gone": "an alias since removed",
    "work.domain_creation": "the creation of this domain",
    "work.domain_check": "the check of this domain",
    "work.email": "the email “{subject}” to {recipient}",
    "work.email_gone": "an email to a mailbox since removed",
    "work.invitation_email": "the invitation email to {recipient}",
    "work.password_reset": "the password reset of {address}",
    "work.password_reset_gone": "a password reset",
    "work.import": "the import from dimail",
    "work.comparison": "the comparison with dimail",
    # what an older dimail may lack
    "feature.password_resets": "password resets",
    "feature.login_links": "login links",
    "feature.disabling_mailboxes": "disabling mailboxes",
    "feature.enabling_mailboxes": "enabling mailboxes",
    # --- emails about a mailbox ---
    "subject.confirmation": "Your mailbox {address} is ready",
    "subject.password": "New password for {address}",
    "subject.login_link": "Log in to {address}",
    "subject.restored": "Your mailbox {address} was restored",
    "mailbox.email_sent": "“{subject}” was sent to {recipient}.",
    # --- the background queue (Redis) is down ---
    "queue.down": (
        "The background queue cannot be reached right now; nothing is lost: it is sent to the "
        "mail platform as soon as the queue is back."
    ),
    "queue.down_follow_up": (
        "The background queue cannot be reached right now, so the emails and the mailboxes "
        "that waited for this domain leave as soon as it is back; nothing is lost."
    ),
    "queue.down_try_again": "The background queue cannot be reached; try again in a moment.",
    # --- names of statuses and roles inside sentences ---
    "domain_status.pending": "Pending",
    "domain_status.enabled": "Enabled",
    "domain_status.action_required": "Action required",
    "domain_status.failed": "Failed",
    "domain_status.disabled": "Disabled",
    "domain_status.set_by_hand": "set by hand",
    "role.viewer": "viewer",
    "role.administrator": "administrator",
    "role.owner": "owner",
    # --- checks of a domain ---
    "check.all_pass": "all checks pass",
    "check.platform_problem": "dimail reports a problem on the platform's side",
    "check.dns_failing_one": "1 DNS check failing: {names}",
    "check.dns_failing": "{count} DNS checks failing: {names}",
    "check.platform_failing_one": "1 platform check failing: {names}",
    "check.platform_failing": "{count} platform checks failing: {names}",
    # --- imports and drift ---
    "import.summary": "{mailboxes} mailbox(es) and {aliases} alias destination(s) imported",
    "import.summary_skipped": (
        "{mailboxes} mailbox(es) and {aliases} alias destination(s) imported; {skipped} "
        "skipped: {reasons}"
    ),
    "import.same_names": "{count} with the same names as another mailbox here",
    "import.refused": "{count} not a valid local part here ({addresses})",
    "import.refused_more": "{count} not a valid local part here ({addresses} and {more} more)",
    "import.too_long": "{count} with names or a destination too long to keep here",
    "import.done_at": "{summary} on {at} UTC.",
    "import.failed_at": "{reason} ({at} UTC)",
    "drift.pushed": (
        "Sent again to dimail after a loss on its side: {mailboxes} mailbox(es) and {aliases} "
        "alias destination(s)."
    ),
    "drift.pushed_at": "{pushed} ({at} UTC)",
    "drift.names_differ": "names: “{here}” here, “{there}” in dimail",
    "drift.active_differs": "{here} here, {there} in dimail",
    "drift.active": "active",
    "drift.disabled": "disabled",
    # --- the audit log ---
    "audit.domain_created": "Domain {domain} created, with support email {email}.",
    "audit.domain_status": "{old} → {new}.",
    "audit.domain_status_because": "{old} → {new}: {reason}",
    "audit.domain_checked": "Checked: {summary}.",
    "audit.mailbox_created": "Mailbox {address} created for {first} {last}.",
    "audit.mailbox_created_secondary": (
        "Mailbox {address} created for {first} {last}, secondary email {secondary}."
    ),
    "audit.mailbox_edited": "{changes}.",
    "audit.mailbox_change": "{what}: {old} → {new}",
    "audit.none": "(none)",
    "audit.first_name": "first name",
    "audit.last_name": "last name",
    "audit.secondary_email": "secondary email",
    "audit.mailbox_enabled": "Mailbox {address} enabled.",
    "audit.mailbox_disabled": "Mailbox {address} disabled.",
    "audit.mailbox_enabled_later": "Mailbox {address} enabled (applies when it is created).",
    "audit.mailbox_disabled_later": "Mailbox {address} disabled (applies when it is created).",
    "audit.password_sent": "A new password for {address} was sent to {recipient}.",
    "audit.login_link_sent": "A login link for {address} was sent to {recipient}.",
    "audit.imported": "{summary}.",
    "audit.alias_added": "{address} now also sends to {destination}.",
    "audit.alias_removed": "{address} no longer sends to {destination}.",
    "audit.access_granted": "{email} was given the {role} role.",
    "audit.access_changed": "Role of {email} changed from {old} to {new}.",
    "audit.access_removed": "{email} no longer has access.",
    "audit.access_left": "{email} left the domain.",
    "audit.invitation_sent": "{email} was invited as {role}.",
    "audit.invitation_sent_again": "The invitation to {email} was sent again.",
    "audit.invitation_cancelled": "The invitation to {email} was cancelled.",
    "audit.invitation_accepted": "{email} accepted the invitation as {role}.",
}
