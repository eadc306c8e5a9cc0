"""Common library of the segmentation platform: nothing domain-specific lives here."""
