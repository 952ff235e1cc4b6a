"""The platform-neutral core: message types and the dialogue. Imports no channel."""
