from dataclasses import dataclass, field

from webapp.messages import Said


def _text(message) -> str:
    # Rendered here, in the request that shows it: flashes travel in the session as text (a
    # message, a lazily translated string...).
    return message if isinstance(message, str) else str(message)


@dataclass
class Result:
    """What a use case tells the view: success, or errors keyed by form field."""

    ok: bool
    value: object = None
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    # The flash category the message deserves: "success", "warning"...
    category: str = "success"

    def __post_init__(self):
        self.message = _text(self.message)
        self.errors = {name: _text(text) for name, text in self.errors.items()}

    @classmethod
    def success(cls, value=None, message: str | Said = "", category: str = "success") -> "Result":
        return cls(ok=True, value=value, message=message, category=category)

    @classmethod
    def failure(cls, message: str | Said = "", **errors: str | Said) -> "Result":
        return cls(ok=False, errors=errors, message=message)
