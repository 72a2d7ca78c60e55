"""How long a test waits for something that must happen before it calls it hung.

A bound on a wait protects the run from a hang; it never measures speed (figures belong in
``scripts/bench/``). One generous bound for every such wait, so a loaded CI machine passes
whatever a quiet one passes.
"""

HUNG_SECONDS = 300
