"""``python -m nebula_kernel.cli``."""

from nebula_kernel.cli import main

raise SystemExit(main())
