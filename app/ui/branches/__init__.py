"""The branches panel: the branch tree, and engine/seed/settings for new branches."""
