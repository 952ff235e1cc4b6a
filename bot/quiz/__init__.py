"""Question banks and units: loading, validation, and drawing questions for an attempt."""
