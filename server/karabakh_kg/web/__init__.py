"""The serving job: one release out over the SPARQL 1.1 Protocol and as linked data."""
