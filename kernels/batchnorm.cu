// Batch normalization (training and inference forward, backward), float and double.
//
// Layout: x is (N, C, S) C-contiguous (the Python wrapper reshapes (N, C, *)),
// so channel c has m = N * S values x[(n * C + c) * S + s].  We number them by
// the flat index i = n * S + s in [0, m).
//
// Statistics are reductions over those m values per channel, done in two
// kernels so that many blocks share one channel:
//
//   *_partial   grid (C, chunks), block B (a power of two).  Block (c, j) owns
//               the chunk i in [j * chunk, min(m, (j + 1) * chunk)) of channel c;
//               thread t visits i = j * chunk + t, + B, + 2B, ... (consecutive
//               threads read consecutive s: coalesced), accumulates privately,
//               then the block combines the B thread results in a fixed binary
//               tree in shared memory and thread 0 writes the chunk's partial
//               to part[c * chunks + j].
//   *_finalize  grid (C), block B2.  Thread t combines the partials j = t,
//               t + B2, ... of channel c in order, then the same tree; thread
//               0 writes the channel's result.
//
// The order of every floating-point operation is fixed by (m, chunk, B, B2),
// never by thread timing, and there are no atomics: results are bit-identical
// run to run and across thread schedules.
//
// Mean and variance use Welford's update per thread and Chan et al.'s
// parallel formula to merge (count, mean, M2) triples; E[x^2] - E[x]^2 is never
// formed (it cancels catastrophically when |mean| >> std).
//
// The elementwise kernels (*_apply, *_dx) use one thread per element over the
// flat (N, C, S) index e with a grid-stride loop; c = (e / S) % C.
//
// Dynamic shared memory: 3 * B * sizeof(T) bytes for the Welford kernels,
// 2 * B * sizeof(T) for the backward sums.

namespace xpnet_bn {

// Merge (nb, mb, m2b) into (na, ma, m2a) (Chan et al.):
//   n = na + nb, d = mb - ma, mean = ma + d * nb / n, M2 = M2a + M2b + d^2 na nb / n.
template <typename T>
__device__ __forceinline__ void chan_merge(T& na, T& ma, T& m2a, T nb, T mb, T m2b) {
    const T n = na + nb;
    if (nb == T(0)) return;
    const T d = mb - ma;
    const T f = nb / n;
    ma = ma + d * f;
    m2a = m2a + m2b + d * d * na * f;
    na = n;
}

// Tree-merge the (n, mean, m2) of all B = blockDim.x threads (a power of two);
// the result is valid in thread 0.  sh: 3 * B values of dynamic shared memory.
template <typename T>
__device__ void block_welford(T& n, T& mean, T& m2, T* sh) {
    const int t = threadIdx.x, B = blockDim.x;
    T* sn = sh;
    T* sm = sh + B;
    T* s2 = sh + 2 * B;
    sn[t] = n;
    sm[t] = mean;
    s2[t] = m2;
    __syncthreads();
    for (int h = B / 2; h > 0; h >>= 1) {
        if (t < h) chan_merge(sn[t], sm[t], s2[t], sn[t + h], sm[t + h], s2[t + h]);
        __syncthreads();
    }
    n = sn[0];
    mean = sm[0];
    m2 = s2[0];
}

// Tree-sum a and b over the B = blockDim.x threads; valid in thread 0.
// sh: 2 * B values of dynamic shared memory.
template <typename T>
__device__ void block_sum2(T& a, T& b, T* sh) {
    const int t = threadIdx.x, B = blockDim.x;
    sh[t] = a;
    sh[B + t] = b;
    __syncthreads();
    for (int h = B / 2; h > 0; h >>= 1) {
        if (t < h) {
            sh[t] += sh[t + h];
            sh[B + t] += sh[B + t + h];
        }
        __syncthreads();
    }
    a = sh[0];
    b = sh[B];
}

// Walks the flat indices i = first, first + B, ... of one channel, tracking
// the element offset (n * C + c) * S + s without a division per step.
struct ChannelCursor {
    long long n, s, dn, ds, C, S, c;
    __device__ ChannelCursor(long long first, long long step, int C_, long long S_, int c_)
        : n(first / S_), s(first % S_), dn(step / S_), ds(step % S_), C(C_), S(S_), c(c_) {}
    __device__ __forceinline__ long long offset() const { return (n * C + c) * S + s; }
    __device__ __forceinline__ void advance() {
        n += dn;
        s += ds;
        if (s >= S) {
            s -= S;
            ++n;
        }
    }
};

// Number of values in chunk j of a channel of m values.
__device__ __forceinline__ long long chunk_count(long long j, long long chunk, long long m) {
    const long long rest = m - j * chunk;
    return rest < chunk ? rest : chunk;
}

}  // namespace xpnet_bn

// Forward-train, step 1: Welford partials of each (channel, chunk).
// Grid (C, chunks), block B; part_mean / part_m2: (C, chunks).
template <typename T>
__global__ void xpnet_bn_stats_partial(const T* __restrict__ x, T* __restrict__ part_mean,
                                       T* __restrict__ part_m2, int C, long long S, long long m,
                                       long long chunk) {
    extern __shared__ unsigned char xpnet_smem[];
    using namespace xpnet_bn;
    const int c = blockIdx.x, j = blockIdx.y, B = blockDim.x;
    const long long begin = (long long)j * chunk;
    const long long end = begin + chunk_count(j, chunk, m);
    T n = T(0), mean = T(0), m2 = T(0);
    ChannelCursor cur(begin + threadIdx.x, B, C, S, c);
    for (long long i = begin + threadIdx.x; i < end; i += B, cur.advance()) {
        const T v = x[cur.offset()];
        n += T(1);
        const T d = v - mean;
        mean += d / n;
        m2 += d * (v - mean);
    }
    block_welford(n, mean, m2, reinterpret_cast<T*>(xpnet_smem));
    if (threadIdx.x == 0) {
        part_mean[(long long)c * gridDim.y + j] = mean;
        part_m2[(long long)c * gridDim.y + j] = m2;
    }
}

// Forward-train, step 2: merge the partials of channel c = blockIdx.x into
//   save_mean[c] = mean,  save_invstd[c] = 1 / sqrt(M2 / m + eps),
// and, when the pointers are not null, update the running statistics in place:
//   running_mean[c] = (1 - momentum) * running_mean[c] + momentum * mean,
//   running_var[c]  = (1 - momentum) * running_var[c]  + momentum * M2 / (m - 1)
// (unbiased variance, as PyTorch).  Grid (C), block B2.
template <typename T>
__global__ void xpnet_bn_stats_finalize(const T* __restrict__ part_mean,
                                        const T* __restrict__ part_m2, T* __restrict__ save_mean,
                                        T* __restrict__ save_invstd, T* __restrict__ running_mean,
                                        T* __restrict__ running_var, int chunks, long long m,
                                        long long chunk, T momentum, T eps) {
    extern __shared__ unsigned char xpnet_smem[];
    using namespace xpnet_bn;
    const int c = blockIdx.x;
    T n = T(0), mean = T(0), m2 = T(0);
    for (int j = threadIdx.x; j < chunks; j += blockDim.x) {
        const long long p = (long long)c * chunks + j;
        chan_merge(n, mean, m2, T(chunk_count(j, chunk, m)), part_mean[p], part_m2[p]);
    }
    block_welford(n, mean, m2, reinterpret_cast<T*>(xpnet_smem));
    if (threadIdx.x == 0) {
        save_mean[c] = mean;
        save_invstd[c] = T(1) / sqrt(m2 / T(m) + eps);
        if (running_mean) running_mean[c] = (T(1) - momentum) * running_mean[c] + momentum * mean;
        if (running_var)
            running_var[c] = (T(1) - momentum) * running_var[c] + momentum * (m2 / T(m - 1));
    }
}

// Normalize and scale (forward-train and forward-inference), elementwise:
//   y = (x - mean[c]) * invstd[c] * weight[c] + bias[c]
// with invstd[c] = scale[c] if scale_is_var == 0, else 1 / sqrt(scale[c] + eps)
// (inference passes running_var); weight / bias null mean 1 / 0.
// Flat grid-stride loop over the N * C * S elements.
template <typename T>
__global__ void xpnet_bn_apply(const T* __restrict__ x, const T* __restrict__ mean,
                               const T* __restrict__ scale, const T* __restrict__ weight,
                               const T* __restrict__ bias, T* __restrict__ y, int C, long long S,
                               long long total, T eps, int scale_is_var) {
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        const int c = (int)((e / S) % C);
        const T invstd = scale_is_var ? T(1) / sqrt(scale[c] + eps) : scale[c];
        const T w = weight ? weight[c] : T(1);
        const T b = bias ? bias[c] : T(0);
        y[e] = (x[e] - mean[c]) * invstd * w + b;
    }
}

// Backward, step 1: per (channel, chunk) partial sums of dy and dy * (x - mean).
// Grid (C, chunks), block B; part_*: (C, chunks).
template <typename T>
__global__ void xpnet_bn_backward_partial(const T* __restrict__ dy, const T* __restrict__ x,
                                          const T* __restrict__ mean, T* __restrict__ part_sdy,
                                          T* __restrict__ part_sdyx, int C, long long S,
                                          long long m, long long chunk) {
    extern __shared__ unsigned char xpnet_smem[];
    using namespace xpnet_bn;
    const int c = blockIdx.x, j = blockIdx.y, B = blockDim.x;
    const long long begin = (long long)j * chunk;
    const long long end = begin + chunk_count(j, chunk, m);
    const T mu = mean[c];
    T sdy = T(0), sdyx = T(0);
    ChannelCursor cur(begin + threadIdx.x, B, C, S, c);
    for (long long i = begin + threadIdx.x; i < end; i += B, cur.advance()) {
        const long long o = cur.offset();
        sdy += dy[o];
        sdyx += dy[o] * (x[o] - mu);
    }
    block_sum2(sdy, sdyx, reinterpret_cast<T*>(xpnet_smem));
    if (threadIdx.x == 0) {
        part_sdy[(long long)c * gridDim.y + j] = sdy;
        part_sdyx[(long long)c * gridDim.y + j] = sdyx;
    }
}

// Backward, step 2: channel c = blockIdx.x sums its partials into
//   grad_bias[c] = sum(dy),  grad_weight[c] = sum(dy * xhat) = invstd[c] * sum(dy * (x - mean)).
// Grid (C), block B2.
template <typename T>
__global__ void xpnet_bn_backward_finalize(const T* __restrict__ part_sdy,
                                           const T* __restrict__ part_sdyx,
                                           const T* __restrict__ invstd,
                                           T* __restrict__ grad_weight, T* __restrict__ grad_bias,
                                           int chunks) {
    extern __shared__ unsigned char xpnet_smem[];
    using namespace xpnet_bn;
    const int c = blockIdx.x;
    T sdy = T(0), sdyx = T(0);
    for (int j = threadIdx.x; j < chunks; j += blockDim.x) {
        sdy += part_sdy[(long long)c * chunks + j];
        sdyx += part_sdyx[(long long)c * chunks + j];
    }
    block_sum2(sdy, sdyx, reinterpret_cast<T*>(xpnet_smem));
    if (threadIdx.x == 0) {
        grad_bias[c] = sdy;
        grad_weight[c] = sdyx * invstd[c];
    }
}

// Backward, step 3, elementwise (flat grid-stride loop):
//   xhat = (x - mean[c]) * invstd[c]
//   dx = weight[c] * invstd[c] / m * (m * dy - grad_bias[c] - xhat * grad_weight[c])
// weight null means 1.
template <typename T>
__global__ void xpnet_bn_backward_dx(const T* __restrict__ dy, const T* __restrict__ x,
                                     const T* __restrict__ mean, const T* __restrict__ invstd,
                                     const T* __restrict__ weight,
                                     const T* __restrict__ grad_weight,
                                     const T* __restrict__ grad_bias, T* __restrict__ dx, int C,
                                     long long S, long long total, long long m) {
    const long long stride = (long long)gridDim.x * blockDim.x;
    const T mf = T(m);
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        const int c = (int)((e / S) % C);
        const T is = invstd[c];
        const T w = weight ? weight[c] : T(1);
        const T xhat = (x[e] - mean[c]) * is;
        dx[e] = w * is / mf * (mf * dy[e] - grad_bias[c] - xhat * grad_weight[c]);
    }
}
