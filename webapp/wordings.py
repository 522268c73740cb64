# ruff: noqa: E501 - a table of sentences reads best one sentence a line
"""The product's wordings, by message identifier (see webapp.messages for how they are used).

One wording per message: a sentence needed in two places is one entry used twice. Parameters
are named in braces; `{x!c}` capitalises the parameter that opens a sentence.
"""


def N_(text: str) -> str:  # noqa: N802 - the name gettext tools look for
    """Marks a wording for the catalogues; it is translated when shown (messages.render)."""
    return text


WORDINGS: dict[str, str] = {
    "legacy.text": N_("{text}"),
    "two_sentences": N_("{first} {second}"),
    # --- accounts' second factor (webapp.services.two_factor) ---
    "account.two_factor_on": N_("Two-factor authentication was turned on."),
    "account.two_factor_off": N_("Two-factor authentication was turned off."),
    "account.recovery_codes": N_("New recovery codes were made; the old ones no longer work."),
    "account.two_factor_reset": N_(
        "The two-factor authentication of {email} was reset: until it is set up again, the password alone opens this account."
    ),
    # --- domains (webapp.services.domains) ---
    "domain.duplicate": N_("This domain is already registered here."),
    "domain.created": N_("The domain {domain} was created."),
    "domain.being_set_up": N_("It is being set up on the mail platform."),
    "domain.not_checked_disabled": N_(
        "A disabled domain is not checked. Platform staff can enable it."
    ),
    "domain.check_recorded": N_("The check is recorded."),
    "domain.check_started": N_("A new check has started."),
    "domain.import_enabled_only": N_(
        "Only an enabled domain can be imported from the mail platform."
    ),
    "domain.import_started": N_(
        "The import has started; what the mail platform has appears in a moment."
    ),
    "domain.choose_status": N_("Choose one of the listed statuses."),
    "domain.status_already": N_("The domain is already {status}."),
    "domain.status_now": N_("The domain is now {status}."),
    "domain.email_language": N_("Status emails are now written in {language}."),
    "domain.drift_started": N_("The comparison with the mail platform has started."),
    "domain.push_enabled_only": N_(
        "Only an enabled domain can be sent again to the mail platform."
    ),
    "domain.push_started": N_(
        "What the mail platform lost is being sent again; compare again in a moment."
    ),
    # --- imports from a file (webapp.services.imports) ---
    "import.same_address": N_("{address} is already on line {line} of this file."),
    "import.same_name": N_(
        "{name} is already on line {line} of this file ({address}): the webmail needs a different name for each person."
    ),
    "import.name_looks_same": N_(
        "“{name}” looks the same as “{holder}” on line {line} of this file ({address}): the webmail needs names that people can tell apart."
    ),
    "import.same_pair": N_("{address} → {destination} is already on line {line} of this file."),
    "import.expired": N_("This preview has expired: upload the file again."),
    "import.already_confirmed": N_("This import was confirmed already."),
    "import.taken_meanwhile": N_(
        "Some of these addresses were taken while the rows were being created: nothing was created. Confirm again."
    ),
    "import.confirmed": N_("Created: {created}. Skipped: {skipped}."),
    "import.being_created": N_("They are being created on the mail platform."),
    "import.recorded_for_later": N_(
        "They are created on the mail platform as soon as the domain is ready."
    ),
    # --- mailboxes (webapp.services.mailboxes) ---
    "mailbox.domain_disabled": N_("This domain is disabled: its mailboxes cannot be changed."),
    "mailbox.name_taken": N_(
        "{name} already has a mailbox here ({address}): the webmail needs a different name for each person."
    ),
    "mailbox.name_looks_taken": N_(
        "“{name}” looks the same as “{holder}”, who already has a mailbox here ({address}): the webmail needs names that people can tell apart."
    ),
    "mailbox.exists": N_("{address} already exists."),
    "mailbox.name_taken_meanwhile": N_("{name} was given to another mailbox at the same moment."),
    "mailbox.secondary_is_itself": N_(
        "Use another address than the new mailbox itself: the confirmation goes there."
    ),
    "mailbox.recorded_for_later": N_(
        "{address} is recorded. It is created on the mail platform as soon as the domain is ready, and its confirmation email is sent then."
    ),
    "mailbox.recorded": N_("{address} is recorded."),
    "mailbox.being_created": N_("{address} is being created on the mail platform."),
    "mailbox.names_being_sent": N_("The new names are being sent to the mail platform."),
    "mailbox.saved": N_("The mailbox is saved."),
    "mailbox.already_enabled": N_("The mailbox is already enabled."),
    "mailbox.already_disabled": N_("The mailbox is already disabled."),
    "mailbox.saved_until_created": N_("Saved; it applies when the mailbox is created."),
    "mailbox.being_enabled": N_("{address} is being enabled on the mail platform."),
    "mailbox.being_disabled": N_("{address} is being disabled on the mail platform."),
    "mailbox.sent_when_ready": N_("It will be sent when the domain is ready."),
    "mailbox.trying_again": N_("Trying again."),
    "mailbox.confirmation_owed": N_("The confirmation is owed."),
    "mailbox.confirmation_being_sent": N_("The confirmation is being sent to {recipient}."),
    "mailbox.saved_short": N_("Saved."),
    "mailbox.not_in_dimail_yet": N_("The mailbox does not exist on the mail platform yet."),
    "mailbox.no_secondary": N_("This mailbox has no secondary email to send it to: add one first."),
    "mailbox.action_not_supported": N_(
        "This mail platform (an older dimail) does not offer this action."
    ),
    "mailbox.password_being_sent": N_("A new password is being generated and sent to {recipient}."),
    "mailbox.login_link_being_sent": N_("A login link is being sent to {recipient}."),
    # --- aliases (webapp.services.aliases) ---
    "alias.domain_disabled": N_("This domain is disabled: its aliases cannot be changed."),
    "alias.to_itself": N_("An alias cannot send mail to itself."),
    "alias.duplicate": N_("{address} already sends to {destination}."),
    "alias.recorded_for_later": N_("{pair} is recorded; it is sent when the domain is ready."),
    "alias.recorded": N_("{pair} is recorded."),
    "alias.being_added": N_("{pair} is being added on the mail platform."),
    "alias.trying_again": N_("Trying {pair} again on the mail platform."),
    "alias.no_such": N_("There is no such alias (it may have been removed already)."),
    "alias.will_be_removed": N_("{what} will be removed."),
    "alias.being_removed": N_("{what} is being removed from the mail platform."),
    "alias.removed_when_ready": N_(
        "{what} will be removed from the mail platform as soon as the domain is ready."
    ),
    "alias.removed": N_("{what} is removed."),
    # --- collaborators (webapp.services.accesses, webapp.permissions) ---
    "access.busy": N_(
        "Someone else is changing this domain's collaborators right now: try again in a moment."
    ),
    "access.gone": N_("This person is not a collaborator of the domain (any more)."),
    "access.choose_role": N_("Choose viewer, administrator or owner."),
    "access.already": N_("{email} is already {role}."),
    "access.now": N_("{email} is now {role}."),
    "access.last_owner_leaving": N_(
        "You are the last owner: make someone else owner before leaving."
    ),
    "access.last_owner": N_("A domain keeps at least one owner: make someone else owner first."),
    "access.only_managers": N_(
        "Only the domain's administrators and owners manage its collaborators."
    ),
    "access.owner_by_owner": N_("Only an owner can change or remove an owner."),
    "access.above_own": N_("You cannot give a role above your own."),
    "access.owner_invitation": N_("Only an owner can re-send or cancel an invitation to be owner."),
    # --- what a failed job says (webapp.jobs.failures) ---
    "failure.unreachable": N_("The mail platform could not be reached for {what} ({detail})."),
    "failure.credentials": N_(
        "This application could not log in to the mail platform for {what}: dimail refused its "
        "credentials. The platform's staff must check DIMAIL_USER and DIMAIL_PASSWORD."
    ),
    "failure.no_grant": N_(
        "This application's dimail account has no rights on this domain, so {what} could not "
        "be done. The domain probably exists in dimail under another account: the platform's "
        "staff must grant it to this application's account."
    ),
    "failure.not_supported": N_("This mail platform (an older dimail) does not offer {feature}."),
    "failure.bad_answer": N_(
        "The mail platform gave an answer this application cannot use for {what} ({detail}). "
        "The platform's staff can find the details in the log."
    ),
    "failure.settings": N_("This application's dimail settings are wrong ({detail})."),
    "failure.refused": N_("dimail refused {what}: {detail}"),
    "failure.mail_down": N_("{what!c} could not be sent ({detail})."),
    "failure.mail_refused": N_(
        "{what!c} could not be delivered: the mail server refused the address."
    ),
    "failure.unexpected": N_("An unexpected error stopped {what} ({detail})."),
    "detail.connect_timeout": N_("no connection within {seconds}"),
    "detail.timeout": N_("no answer within {seconds}"),
    "detail.tls": N_("the secure connection could not be set up"),
    "detail.no_connection": N_("the connection was refused or dropped"),
    "detail.dropped": N_("the connection dropped in the middle of the answer"),
    "detail.request_failed": N_("the request failed"),
    "detail.smtp_answer": N_("the mail server answered with code {code}"),
    "detail.mail_refused_connection": N_("the mail server refused the connection"),
    "detail.mail_timeout": N_("the mail server did not answer in time"),
    "detail.mail_unreachable": N_("the mail server could not be reached"),
    "failure.retrying": N_("{cause} It is tried again automatically."),
    "failure.given_up": N_("{cause} It was tried several times; {again} once the cause is gone."),
    "failure.every_few_minutes": N_("{cause} It is tried again automatically, every few minutes."),
    # why dimail refused, in our words
    "refusal.webmail_context": N_(
        "the domain is already mapped to the webmail context {context} in dimail; the "
        "platform's staff must move it or remove it from that context"
    ),
    "refusal.display_name_taken": N_(
        "the name “{name}” is already used in the webmail by {holder}; change the first or "
        "last name"
    ),
    "refusal.address_taken": N_("{address} already exists in dimail for someone else"),
    "refusal.creation_failed": N_("dimail failed to create the mailbox ({detail})"),
    # what the person does once the cause is gone
    "again.retry": N_("press Retry"),
    "again.check_now": N_("press Check now"),
    "again.send_again": N_("press Send again"),
    "again.new_password": N_("ask for a new password again"),
    "again.login_link": N_("send the link again"),
    "again.import": N_("import again"),
    "again.compare": N_("compare again"),
    # the work a failure is about
    "work.mailbox_creation": N_("the creation of {address}"),
    "work.mailbox_change": N_("a change to {address}"),
    "work.mailbox_gone": N_("a mailbox since removed"),
    "work.mailbox_batch": N_("sending these mailboxes to the mail platform"),
    "work.alias": N_("the alias {pair}"),
    "work.alias_removal": N_("the removal of the alias {pair}"),
    "work.alias_gone": N_("an alias since removed"),
    "work.domain_creation": N_("the creation of this domain"),
    "work.domain_check": N_("the check of this domain"),
    "work.email": N_("the email “{subject}” to {recipient}"),
    "work.email_gone": N_("an email to a mailbox since removed"),
    "work.invitation_email": N_("the invitation email to {recipient}"),
    "work.password_reset": N_("the password reset of {address}"),
    "work.password_reset_gone": N_("a password reset"),
    "work.import": N_("the import from dimail"),
    "work.comparison": N_("the comparison with dimail"),
    # what an older dimail may lack
    "feature.password_resets": N_("password resets"),
    "feature.login_links": N_("login links"),
    "feature.disabling_mailboxes": N_("disabling mailboxes"),
    "feature.enabling_mailboxes": N_("enabling mailboxes"),
    # --- emails about a mailbox ---
    "subject.confirmation": N_("Your mailbox {address} is ready"),
    "subject.password": N_("New password for {address}"),
    "subject.login_link": N_("Log in to {address}"),
    "subject.restored": N_("Your mailbox {address} was restored"),
    "mailbox.email_sent": N_("“{subject}” was sent to {recipient}."),
    # --- the background queue (Redis) is down ---
    "queue.down": N_(
        "The background queue cannot be reached right now; nothing is lost: it is sent to the "
        "mail platform as soon as the queue is back."
    ),
    "queue.down_follow_up": N_(
        "The background queue cannot be reached right now, so the emails and the mailboxes "
        "that waited for this domain leave as soon as it is back; nothing is lost."
    ),
    "queue.down_try_again": N_("The background queue cannot be reached; try again in a moment."),
    # --- names of statuses and roles inside sentences ---
    "domain_status.pending": N_("Pending"),
    "domain_status.enabled": N_("Enabled"),
    "domain_status.action_required": N_("Action required"),
    "domain_status.failed": N_("Failed"),
    "domain_status.disabled": N_("Disabled"),
    "domain_status.set_by_hand": N_("set by hand"),
    "role.viewer": N_("viewer"),
    "role.administrator": N_("administrator"),
    "role.owner": N_("owner"),
    # --- checks of a domain ---
    "check.all_pass": N_("all checks pass"),
    "check.platform_problem": N_("dimail reports a problem on the platform's side"),
    "check.dns_failing_one": N_("1 DNS check failing: {names}"),
    "check.dns_failing": N_("{count} DNS checks failing: {names}"),
    "check.platform_failing_one": N_("1 platform check failing: {names}"),
    "check.platform_failing": N_("{count} platform checks failing: {names}"),
    # --- imports and drift ---
    "import.summary": N_("{mailboxes} mailbox(es) and {aliases} alias destination(s) imported"),
    "import.summary_skipped": N_(
        "{mailboxes} mailbox(es) and {aliases} alias destination(s) imported; {skipped} "
        "skipped: {reasons}"
    ),
    "import.same_names": N_("{count} with the same names as another mailbox here"),
    "import.refused": N_("{count} not a valid local part here ({addresses})"),
    "import.refused_more": N_("{count} not a valid local part here ({addresses} and {more} more)"),
    "import.too_long": N_("{count} with names or a destination too long to keep here"),
    "import.done_at": N_("{summary} on {at} UTC."),
    "import.failed_at": N_("{reason} ({at} UTC)"),
    "drift.pushed": N_(
        "Sent again to dimail after a loss on its side: {mailboxes} mailbox(es) and {aliases} "
        "alias destination(s)."
    ),
    "drift.pushed_at": N_("{pushed} ({at} UTC)"),
    "drift.names_differ": N_("names: “{here}” here, “{there}” in dimail"),
    "drift.active_differs": N_("{here} here, {there} in dimail"),
    "drift.active": N_("active"),
    "drift.disabled": N_("disabled"),
    # --- the audit log ---
    "audit.domain_created": N_("Domain {domain} created, with support email {email}."),
    "audit.domain_status": N_("{old} → {new}."),
    "audit.domain_status_because": N_("{old} → {new}: {reason}"),
    "audit.domain_checked": N_("Checked: {summary}."),
    "audit.mailbox_created": N_("Mailbox {address} created for {first} {last}."),
    "audit.mailbox_created_secondary": N_(
        "Mailbox {address} created for {first} {last}, secondary email {secondary}."
    ),
    "audit.mailbox_edited": N_("{changes}."),
    "audit.mailbox_change": N_("{what}: {old} → {new}"),
    "audit.none": N_("(none)"),
    "audit.first_name": N_("first name"),
    "audit.last_name": N_("last name"),
    "audit.secondary_email": N_("secondary email"),
    "audit.mailbox_enabled": N_("Mailbox {address} enabled."),
    "audit.mailbox_disabled": N_("Mailbox {address} disabled."),
    "audit.mailbox_enabled_later": N_("Mailbox {address} enabled (applies when it is created)."),
    "audit.mailbox_disabled_later": N_("Mailbox {address} disabled (applies when it is created)."),
    "audit.password_sent": N_("A new password for {address} was sent to {recipient}."),
    "audit.login_link_sent": N_("A login link for {address} was sent to {recipient}."),
    "audit.imported": N_("{summary}."),
    "audit.file_imported": N_(
        "File {file} imported: {created} created, {skipped} skipped (already there, or taken meanwhile), {refused} refused."
    ),
    "audit.alias_added": N_("{address} now also sends to {destination}."),
    "audit.alias_removed": N_("{address} no longer sends to {destination}."),
    "audit.access_granted": N_("{email} was given the {role} role."),
    "audit.access_changed": N_("Role of {email} changed from {old} to {new}."),
    "audit.access_removed": N_("{email} no longer has access."),
    "audit.access_left": N_("{email} left the domain."),
    "audit.invitation_sent": N_("{email} was invited as {role}."),
    "audit.invitation_sent_again": N_("The invitation to {email} was sent again."),
    "audit.invitation_cancelled": N_("The invitation to {email} was cancelled."),
    "audit.invitation_accepted": N_("{email} accepted the invitation as {role}."),
}
