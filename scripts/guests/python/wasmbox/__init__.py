"""wasmbox: helpers for code running inside the wasmbox sandbox."""
