"""Questions and answers: normalise, load and validate the knowledge base, index, match."""
