"""The vision GeoFM: a ViT masked autoencoder for seismic tiles, tiled inference, heads.

Catalog: ``model`` (config, build/load/save, trace masking, tile prediction), ``tiling``
(overlapping tiles with seamless blending). torch and transformers load on first use.
"""
