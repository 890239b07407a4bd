"""auditor: audit an npm lockfile against Sigstore provenance and a declarative policy."""

__version__ = "0.1.0"

# One distinctive name for the distribution, the SARIF tool, the code-scanning category
# prefix and the docs; the command stays `audit` and the Python package `auditor`.
PRODUCT_NAME = "npm-provenance-auditor"
# Where users learn about the tool; rule help links point into its docs/policy.md.
HOMEPAGE = "https://github.com/npm-provenance-auditor/auditor"
POLICY_DOCS = f"{HOMEPAGE}/blob/main/docs/policy.md"

__all__ = ["HOMEPAGE", "POLICY_DOCS", "PRODUCT_NAME", "__version__"]
