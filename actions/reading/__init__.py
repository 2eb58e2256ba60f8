"""Reading what a person says: profile facts with negation and scope (no Rasa)."""
