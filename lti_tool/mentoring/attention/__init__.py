"""The coordinator's attention list: what needs a person in a programme, from every registered source."""
