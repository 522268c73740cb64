"""`python -m devtools.simulator`: serve the simulator (see the package's docstring)."""

from . import main

if __name__ == "__main__":
    main()
