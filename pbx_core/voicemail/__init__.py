"""Voicemail: messages of unanswered extension calls, message waiting (docs/voicemail.md)."""
