"""auditor: audit an npm lockfile against Sigstore provenance and a declarative policy."""

__version__ = "0.1.0"

__all__ = ["__version__"]
