"""The columns of each kind of import, by the names the file may give them (English or
French; compared without case or accents, see webapp.spreadsheets.header_key)."""

MAILBOX_COLUMNS = {
    "first_name": ("first name", "firstname", "given name", "prénom"),
    "last_name": ("last name", "lastname", "surname", "family name", "nom", "nom de famille"),
    "local_part": ("local part", "address", "adresse", "identifiant"),
    "secondary_email": (
        "secondary email", "secondary e-mail", "email secondaire", "e-mail secondaire",
        "adresse secondaire", "courriel secondaire",
    ),
}  # fmt: skip
# The address may be left out: it is suggested from the names, as the form does.
MAILBOX_REQUIRED = ("first_name", "last_name", "secondary_email")

ALIAS_COLUMNS = {
    "local_part": ("local part", "alias", "address", "adresse"),
    "destination": ("destination", "destinataire", "redirection"),
}
ALIAS_REQUIRED = ("local_part", "destination")

COLUMNS = {"mailboxes": MAILBOX_COLUMNS, "aliases": ALIAS_COLUMNS}
REQUIRED = {"mailboxes": MAILBOX_REQUIRED, "aliases": ALIAS_REQUIRED}
