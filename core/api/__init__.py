"""What every app's REST API shares: pagination, the error contract, time fields, throttles."""
