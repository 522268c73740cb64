"""Column types of our own."""

import sqlalchemy as sa

from webapp import messages


class MessageText(sa.types.TypeDecorator):
    """A message for people (webapp.messages.Said), stored as its identifier and parameters in
    a text column; a plain sentence from before identifiers reads as legacy text."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, messages.Said):
            # A sentence here would be stored in one language, for good: say() it instead.
            raise TypeError(f"a message column takes a Said, not {type(value).__name__}")
        return messages.dump(value)

    def process_result_value(self, value, dialect):
        return None if value is None else messages.load(value)
