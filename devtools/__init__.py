"""What only development and tests use: the dimail simulator, the one-command stack (`make run`)
and the development mail catcher. Installed by the `dev` extra; the product (`webapp/`) never
imports it (a test says so)."""
