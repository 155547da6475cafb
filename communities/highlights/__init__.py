"""highlights"""
