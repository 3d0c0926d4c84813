// Test-only kernels for the CUDA simulator (tests/cuda/test_simulator.py).

// out[b] = sum of x[b*blockDim.x + t] for t < blockDim.x (blockDim.x a power of
// two): each thread loads one value into static shared memory, then a tree
// reduction halves the active threads with a __syncthreads() between levels.
// Without those barriers the reverse/random schedules give wrong sums.
template <typename T>
__global__ void xpnet_test_block_sum(const T* x, T* out, int n) {
    __shared__ T s[256];
    const int t = threadIdx.x;
    const int i = blockIdx.x * blockDim.x + t;
    s[t] = i < n ? x[i] : T(0);
    __syncthreads();
    for (int h = blockDim.x / 2; h > 0; h >>= 1) {
        if (t < h) s[t] += s[t + h];
        __syncthreads();
    }
    if (t == 0) out[blockIdx.x] = s[0];
}

// Same reduction with the barriers left out: correct only if threads happen
// to run in forward order (the simulator's reverse schedule exposes it).
template <typename T>
__global__ void xpnet_test_racy_sum(const T* x, T* out, int n) {
    __shared__ T s[256];
    const int t = threadIdx.x;
    const int i = blockIdx.x * blockDim.x + t;
    s[t] = i < n ? x[i] : T(0);
    for (int h = blockDim.x / 2; h > 0; h >>= 1) {
        if (t < h) s[t] += s[t + h];
    }
    if (t == 0) out[blockIdx.x] = s[0];
}

// A barrier only the first `k` threads reach (the others return): an error.
template <typename T>
__global__ void xpnet_test_divergent_barrier(T* out, int k) {
    if ((int)threadIdx.x >= k) return;
    __syncthreads();
    out[threadIdx.x] = T(1);
}

// Dynamic shared memory: y[b, t] = x[b, blockDim.x - 1 - t] (reverse each block's
// chunk through a shared buffer of blockDim.x elements sized at launch).
template <typename T>
__global__ void xpnet_test_reverse_dyn(const T* x, T* y) {
    extern __shared__ unsigned char xpnet_smem[];
    T* buf = reinterpret_cast<T*>(xpnet_smem);
    const int t = threadIdx.x, base = blockIdx.x * blockDim.x;
    buf[t] = x[base + t];
    __syncthreads();
    y[base + t] = buf[blockDim.x - 1 - t];
}

// Warp ops, one warp per block of 32 (or fewer) lanes, lane = threadIdx.x:
// out[b, 0, lane] = warp sum by __shfl_down_sync (valid in lane 0),
// out[b, 1, lane] = butterfly sum by __shfl_xor_sync (valid in every lane),
// out[b, 2, lane] = value of lane 3 (__shfl_sync),
// out[b, 3, lane] = value of lane - 1 (__shfl_up_sync, own value in lane 0),
// out[b, 4, lane] = __ballot_sync(x > 0), out[b, 5..6, lane] = __any/__all_sync(x > 0).
template <typename T>
__global__ void xpnet_test_warp_ops(const T* x, T* out) {
    const int lane = threadIdx.x, w = blockDim.x;
    const T v = x[blockIdx.x * w + lane];
    T* o = out + (long long)blockIdx.x * 7 * w;
    T down = v;
    for (int d = 16; d > 0; d >>= 1) down += __shfl_down_sync(0xffffffffu, down, d);
    T bfly = v;
    for (int m = 16; m > 0; m >>= 1) bfly += __shfl_xor_sync(0xffffffffu, bfly, m);
    o[0 * w + lane] = down;
    o[1 * w + lane] = bfly;
    o[2 * w + lane] = __shfl_sync(0xffffffffu, v, 3);
    o[3 * w + lane] = __shfl_up_sync(0xffffffffu, v, 1);
    o[4 * w + lane] = T(__ballot_sync(0xffffffffu, v > T(0)));
    o[5 * w + lane] = T(__any_sync(0xffffffffu, v > T(0)));
    o[6 * w + lane] = T(__all_sync(0xffffffffu, v > T(0)));
}

// Out of bounds on purpose (for the ASan build): mode 0 reads x[n] (global),
// mode 1 writes static shared s[blockDim.x], mode 2 writes dynamic shared
// buf[blockDim.x] past a launch-sized buffer of blockDim.x elements.
template <typename T>
__global__ void xpnet_test_out_of_bounds(const T* x, T* y, int n, int mode) {
    __shared__ T s[32];
    extern __shared__ unsigned char xpnet_smem[];
    T* buf = reinterpret_cast<T*>(xpnet_smem);
    const int t = threadIdx.x;
    if (mode == 0) y[t] = x[t + (t == 0 ? n : 0)];
    if (mode == 1) { s[t + 1] = x[t]; y[t] = s[t]; }
    if (mode == 2) { buf[t + 1] = x[t]; y[t] = buf[t]; }
}
