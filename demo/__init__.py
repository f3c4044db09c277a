"""The demo street and `manage.py seed_demo`: above every product app, imported by none of them."""
