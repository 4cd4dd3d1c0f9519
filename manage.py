#!/usr/bin/env python
"""Django's manage.py, for developers used to it; ``opensro`` does the same."""

from opensro.cli import main

if __name__ == "__main__":
    main()
