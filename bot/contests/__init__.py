"""The contest engine: definitions, registration, attempts, scoring, ranking, unit results, roles, scheduler."""
