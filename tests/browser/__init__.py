"""End-to-end tests in headless Chromium (marker ``browser``)."""
