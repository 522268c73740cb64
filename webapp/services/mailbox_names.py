"""The names of a mailbox: how they are cleaned, and the display-name rule (the webmail shows
"first last", and two people of a domain must not look the same there)."""

from webapp.extensions import db
from webapp.messages import Said, say
from webapp.models import Domain, Mailbox
from webapp.models.mailbox import name_key
from webapp.validators import InvalidValue, clean_person_name


def cleaned_names(data: dict, errors: dict) -> tuple[str, str]:
    names = []
    for field, what in (("first_name", "first name"), ("last_name", "last name")):
        try:
            names.append(clean_person_name(data.get(field, ""), what))
        except InvalidValue as exc:
            errors[field] = str(exc)
            names.append("")
    return names[0], names[1]


def name_taken(domain: Domain, first: str, last: str, except_id: int | None = None) -> Said | None:
    """Why these names cannot be given here: another mailbox's names look the same (compared by
    their skeletons, see name_key), or None."""
    stmt = db.select(Mailbox.local_part, Mailbox.first_name, Mailbox.last_name).where(
        Mailbox.domain_id == domain.id, Mailbox.name_key == name_key(first, last)
    )
    if except_id is not None:
        stmt = stmt.where(Mailbox.id != except_id)
    taken = db.session.execute(stmt.limit(1)).first()
    if taken is None:
        return None
    return taken_message(domain, taken.local_part, taken.first_name, taken.last_name, first, last)


def taken_message(
    domain: Domain, local_part: str, held_first: str, held_last: str, first: str, last: str
) -> Said:
    """Why `first last` cannot be given: the mailbox `local_part` holds `held_first
    held_last`, the same name or one that looks the same."""
    address = f"{local_part}@{domain.unicode_name}"
    holder = f"{held_first} {held_last}"
    if holder == f"{first} {last}":
        return say("mailbox.name_taken", name=holder, address=address)
    return say("mailbox.name_looks_taken", name=f"{first} {last}", holder=holder, address=address)
