"""xpnet's CUDA C++ kernel sources (package data; see xpnet.backend.cuda.sources)."""
