"""The catalog: models of its four file kinds, loading, validation and schemas."""
