"""The expected DNS records as a zone-file snippet that owners can paste at their DNS provider."""


def _txt(value: str) -> str:
    if value.startswith('"'):
        return value
    # A TXT string holds at most 255 bytes; longer values (DKIM keys) are split in several.
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return " ".join(f'"{escaped[i : i + 255]}"' for i in range(0, len(escaped), 255)) or '""'


def _value(record_type: str, value: str) -> str:
    if record_type == "TXT":
        return _txt(value)
    if record_type == "MX" and not value.split(" ", 1)[0].isdigit():
        return f"10 {value}"  # dimail gives the host alone; a zone file needs a preference
    return value


def render(domain_ascii: str, domain_unicode: str, records: list[dict]) -> str:
    lines = [
        f"; DNS records that the mail platform expects for {domain_unicode}",
        f"; Add them to the zone of {domain_ascii} at your DNS provider.",
        f"$ORIGIN {domain_ascii}.",
    ]
    for record in records:
        name = record.get("target") or "@"
        kind = str(record.get("type", "")).upper()
        lines.append(f"{name:<24} IN {kind:<6} {_value(kind, str(record.get('value', '')))}")
    return "\n".join(lines) + "\n"
