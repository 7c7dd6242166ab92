"""Two-factor login (TOTP, with recovery codes) on top of django-otp; see docs/audit.md."""
