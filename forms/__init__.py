"""marshmallow schemas: one per import record, API payload and (later) user-task form."""
