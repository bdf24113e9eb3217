"""Writing out/: deterministic rendering, atomic writes, stale-file removal, the manifest."""
