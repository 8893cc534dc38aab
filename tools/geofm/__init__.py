"""The vision GeoFM: a ViT masked autoencoder for seismic tiles, tiled inference, heads.

Catalog: ``model`` (config, build/load/save, trace masking, tile prediction), ``tiling``
(overlapping tiles with seamless blending), ``data`` (seeded synthetic training tiles,
per-tile scaling, linear trace fill), ``refine`` (the interpolation head's convolutional
refinement stage), ``infer`` (whole-section denoise / interpolate / fault probability),
``tools`` (the agent tools and where their weights live), ``heldout`` (the held-out
sections the heads are evaluated and calibrated on, the held-out windows of the real
lines and the traces training may read, frozen dead-trace masks, fault-mask F1),
``geology`` (a second training generator: unconformities, normal, reverse and vertical
faults, other wavelets), ``real_tiles`` (training tiles of the real lines outside their
held-out part).
torch and transformers load on first use.
"""
