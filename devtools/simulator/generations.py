"""The server builds the simulator can play, and what tells them apart.

- `2024`: the August 2024 build without the check route (recorded in
  tests/data/dimail-recordings/dimail-api-2024-08.json);
- `2024-08-check`: the later August 2024 build with `GET /domains/{name}/check`, whose check
  results sit in the domain's own JSON, external checks only (dimail-api-2024-08-check.json);
- `current`: everything DIMAIL.md describes.

Routes keep one code path; they ask the generation about each difference instead of testing
its name, so that a difference has one place and one name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Generation:
    name: str
    # GET /domains/{name}/check exists.
    check: bool
    # Check results are part of the domain's JSON (POST/GET /domains/...), without `internal`
    # flags and without the platform's own checks: the 2024-08-check shape.
    checks_in_domain: bool
    # fix/, spec/, code, reset_password/, address/{lp}/, /v2/domains/{d}/mailboxes/.
    current_routes: bool
    alias_created_status: int
    allow_to_send: bool
    # PATCH {"active": ...} disables and enables; older builds accept it and change nothing.
    patch_active: bool
    # Users carry `perms` (new_domain, create_users, manage_users).
    perms: bool
    # The real webmail refuses a display name already used in the same OX context. The
    # recorded builds ran in FAKE mode, where nothing enforces it.
    display_name_rule: bool
    # A DELETE on a domain: None leaves it to routing (405 Method Not Allowed).
    delete_domain: tuple[int, str] | None


_ALL = (
    Generation(
        name="current",
        check=True,
        checks_in_domain=False,
        current_routes=True,
        alias_created_status=201,
        allow_to_send=True,
        patch_active=True,
        perms=True,
        display_name_rule=True,
        delete_domain=(501, "Not implemented"),
    ),
    Generation(
        name="2024-08-check",
        check=True,
        checks_in_domain=True,
        current_routes=False,
        alias_created_status=200,
        allow_to_send=False,
        patch_active=False,
        perms=False,
        display_name_rule=False,
        delete_domain=None,
    ),
    Generation(
        name="2024",
        check=False,
        checks_in_domain=False,
        current_routes=False,
        alias_created_status=200,
        allow_to_send=False,
        patch_active=False,
        perms=False,
        display_name_rule=False,
        delete_domain=None,
    ),
)

BY_NAME = {generation.name: generation for generation in _ALL}
GENERATIONS = tuple(BY_NAME)


def get(name: str) -> Generation:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"generation must be one of {GENERATIONS}, not {name!r}") from None
