"""profile-service of the segmentation platform."""

__version__ = "0.1.0"
