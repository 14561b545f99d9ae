"""Ready-made instruments: a catalogue of questionnaires with scoring rules and cited sources
(``*.json`` beside this package's modules), added to a programme in one click and locked against
edits that would change what their scores mean."""
