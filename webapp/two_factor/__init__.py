"""Two-factor authentication: enrolling from the account page, the code step of a login, and
the guard that holds accounts REQUIRE_2FA asks for at enrolment until they are done."""
