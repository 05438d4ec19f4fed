"""healers"""
