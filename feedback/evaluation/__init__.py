"""Labelled data sets that measure the quality of feedback features, and the code that scores them."""
