"""Test support code: fakes of external services so end-to-end tests run offline."""
