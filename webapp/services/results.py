from dataclasses import dataclass, field


@dataclass
class Result:
    """What a use case tells the view: success, or errors keyed by form field."""

    ok: bool
    value: object = None
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    # The flash category the message deserves: "success", "warning"...
    category: str = "success"

    @classmethod
    def success(cls, value=None, message: str = "", category: str = "success") -> "Result":
        return cls(ok=True, value=value, message=message, category=category)

    @classmethod
    def failure(cls, message: str = "", **errors: str) -> "Result":
        return cls(ok=False, errors=errors, message=message)
