"""Trust signals beyond one version's verification: who builds each dependency (the
identity lock), whether its trust level fell (trust continuity), what a pull request brings
in unasked (new dependencies, new publishers) and how fast versions appear (bursts).

Pure functions of verified results, packuments and lockfiles; the rules that report them
live with the other policy rules.  Trust levels derive from verified certificates wherever
they can (`levels`); registry claims only ever separate levels above verified provenance.

Import the modules themselves (`auditor.signals.levels`, ...): the policy rules import
them, and they import nothing of `auditor.policy`, so this package imports nothing itself.
"""
