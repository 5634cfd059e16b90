"""Tools, not the product: the sample-data generator, the demo and the loader benchmark."""
