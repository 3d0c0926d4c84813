"""The CUDA side of xpnet: our kernels in ``kernels/*.cu``, launched on CuPy or on
the CPU simulator.

* :mod:`.launch` -- kernel specs (signatures), argument casting, the launcher interface
* :mod:`.simulator` -- builds ``kernels/cudasim.h`` + sources into a CPU library
* :mod:`.batchnorm`, :mod:`.conv2d` -- validating launch wrappers per op
* :mod:`.cupy_backend`, :mod:`.cudasim_backend` -- the two backends using them

Importing this package imports neither CuPy nor a compiler.
"""
