"""User accounts: sign-up with email confirmation, log in/out, password reset, profiles, and
personal API tokens (``auth.TokenAuth``) for the write API."""
