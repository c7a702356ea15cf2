"""Small helpers shared by every app; imports nothing of Chorus, so any app may use it."""
