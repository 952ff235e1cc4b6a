"""rightsbot: a chatbot that teaches human rights and runs knowledge contests."""

__version__ = "0.1.0"
