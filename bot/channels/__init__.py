"""Channel adapters: translate a platform's updates to the core's messages and back."""
