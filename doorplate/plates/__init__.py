"""QR doorplates: tokens, issuing, revoking, install tracking and print-ready output."""
