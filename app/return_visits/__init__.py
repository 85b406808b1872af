"""回访: after a case closes, the resident's verdict on it, recorded by a secretary, the call
centre or the resident."""
