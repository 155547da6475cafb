"""needs_reply"""
