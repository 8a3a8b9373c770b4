"""The W3C SPARQL 1.1 suites run against the endpoint (a package, so its conftest stays its own)."""
