"""PLACEHOLDER: household import use case (being written)."""
def import_households(*a, **k): raise NotImplementedError
