"""CMCD (CTA-5004, CTA-5004-B): reports players send, read into the event contract."""
