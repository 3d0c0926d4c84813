// cudasim.h -- run xpnet's CUDA C++ kernels on the CPU, for testing without a GPU.
//
// The generated wrapper (xpnet/backend/cuda/simulator.py) includes this header
// and then the .cu files, and compiles them with the host C++ compiler
// (g++ -std=c++17).  It supports exactly the CUDA subset described below (the
// kernel source rules xpnet/backend/cuda/launch.py refers to):
//
// * Each CUDA thread of a block is a fiber (its own stack, cooperative
//   switching).  The blocks of a grid run one after another; inside a block,
//   the scheduler resumes every runnable thread in the schedule order
//   (forward: thread 0, 1, ...; reverse; random: a fresh seeded shuffle per
//   pass) and each one runs until it reaches a barrier or returns.
// * __syncthreads() is a block barrier; warp shuffles / votes / __syncwarp()
//   are barriers of the warp (32 consecutive linear thread ids).  When every
//   live lane has arrived, the scheduler computes all lanes' results at once
//   (so a lane that runs ahead can never overwrite a value another lane has
//   not read yet).
// * A barrier that can never be released is an error, never a hang: some
//   threads exited while others wait at __syncthreads(), threads wait at
//   different __syncthreads() call sites, or a warp op is not reached by all
//   lanes of its warp.  The launch then returns an error message naming the
//   block, the barrier (file:line) and the thread counts.
// * Static `__shared__ T name[A][B];` declarations in the .cu file are
//   rewritten by simulator.py into references to a heap buffer of exactly
//   that size per declaration and launch (see static_shared below); other
//   forms (e.g. in included headers) fall back to function-local statics.
//   Both are reused block after block, since blocks run sequentially, and
//   rewritten buffers are refilled with 0xff before every block.
// * Dynamic shared memory (`extern __shared__ T name[];` inside a kernel,
//   rewritten by simulator.py into a pointer) is a heap buffer of exactly the
//   launch's shared_mem bytes, filled with 0xff (NaN for floats) before every
//   block so reads of unwritten memory show.
// * Under -fsanitize=address the fiber switches are announced to ASan
//   (__sanitizer_start/finish_switch_fiber), so out-of-bounds global,
//   static-shared and dynamic-shared accesses are reported without false
//   positives from the fiber stacks.
//
// Not thread safe: one launch at a time per process (simulator.py holds a lock).
#pragma once
#ifndef XPNET_CUDASIM
#define XPNET_CUDASIM 1
#endif

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <type_traits>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define XPNET_SIM_ASAN 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#else
#define XPNET_SIM_ASAN 0
#endif

#if !defined(__x86_64__) || defined(XPNET_CUDASIM_UCONTEXT)
#define XPNET_SIM_UCONTEXT 1
#include <ucontext.h>
#else
#define XPNET_SIM_UCONTEXT 0
#endif

// ---------------------------------------------------------------------------
// CUDA qualifiers, built-in types and variables
// ---------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __constant__ static const
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))

struct uint3 {
    unsigned int x, y, z;
};
struct dim3 {
    unsigned int x, y, z;
    dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {}
};

namespace xpnet_sim {

enum State { RUNNABLE = 0, AT_SYNC = 1, AT_WARP = 2, DONE = 3 };
enum WarpOp { OP_SYNCWARP, OP_SHFL, OP_SHFL_UP, OP_SHFL_DOWN, OP_SHFL_XOR, OP_ANY, OP_ALL, OP_BALLOT };

struct Thread {
    uint3 idx;            // threadIdx
    int linear;           // linear id (x fastest)
    State state;
    const char* file;     // call site of the barrier it waits at
    int line;
    int op;               // WarpOp when state == AT_WARP
    unsigned long long value;   // value bits handed to a warp op
    int arg, width, pred, size; // op argument (delta/lane/mask), width, vote predicate, sizeof(T)
    unsigned long long result;  // result bits written by the scheduler
    // fiber
    void* sp;
    char* stack;
    size_t stack_size;
#if XPNET_SIM_UCONTEXT
    ucontext_t ctx;
#endif
#if XPNET_SIM_ASAN
    void* fake_stack;
#endif
};

// The state of the launch in progress (one at a time).
inline Thread* g_thread = nullptr;
inline uint3 g_blockIdx, g_blockDim, g_gridDim;
inline unsigned char* g_dynamic_smem = nullptr;
inline void (*g_kernel)(void*) = nullptr;
inline void* g_kernel_ctx = nullptr;
inline void* g_main_sp = nullptr;
#if XPNET_SIM_UCONTEXT
inline ucontext_t g_main_ctx;
#endif
#if XPNET_SIM_ASAN
inline void* g_main_fake_stack = nullptr;
inline const void* g_main_stack_bottom = nullptr;
inline size_t g_main_stack_size = 0;
#endif

inline unsigned char* dynamic_shared() { return g_dynamic_smem; }

// Static __shared__ declarations in .cu files are rewritten by simulator.py into
// references to static_shared(bytes, id): one heap buffer per declaration
// site `id` and launch, of exactly `bytes` (so ASan sees its bounds; GCC does
// not instrument function statics of templates), 0xff-filled before each block.
struct SharedBuf {
    int id;
    size_t bytes;
    unsigned char* p;
};
inline std::vector<SharedBuf>& static_smem() {
    static std::vector<SharedBuf> bufs;
    return bufs;
}
inline void* static_shared(size_t bytes, int id) {
    for (SharedBuf& b : static_smem())
        if (b.id == id && b.bytes == bytes) return b.p;
    unsigned char* p = (unsigned char*)malloc(bytes ? bytes : 1);
    memset(p, 0xff, bytes);
    static_smem().push_back(SharedBuf{id, bytes, p});
    return p;
}

}  // namespace xpnet_sim

#define threadIdx (::xpnet_sim::g_thread->idx)
#define blockIdx (::xpnet_sim::g_blockIdx)
#define blockDim (::xpnet_sim::g_blockDim)
#define gridDim (::xpnet_sim::g_gridDim)
#define warpSize 32

// ---------------------------------------------------------------------------
// Fibers: a minimal context switch (x86-64 System V) or ucontext elsewhere
// ---------------------------------------------------------------------------
#if !XPNET_SIM_UCONTEXT
// void xpnet_sim_switch(void** save_sp, void* new_sp): push the callee-saved
// registers, save rsp, load the other fiber's rsp, pop its registers, return
// into it.
extern "C" void xpnet_sim_switch(void** save_sp, void* new_sp);
asm(R"(
    .text
    .globl xpnet_sim_switch
    .type xpnet_sim_switch,@function
xpnet_sim_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size xpnet_sim_switch, .-xpnet_sim_switch
)");
#endif

namespace xpnet_sim {

inline void fiber_entry();

// Switch from the scheduler into thread t until it blocks or finishes.
inline void resume(Thread* t) {
    g_thread = t;
#if XPNET_SIM_ASAN
    __sanitizer_start_switch_fiber(&g_main_fake_stack, t->stack, t->stack_size);
#endif
#if XPNET_SIM_UCONTEXT
    swapcontext(&g_main_ctx, &t->ctx);
#else
    xpnet_sim_switch(&g_main_sp, t->sp);
#endif
#if XPNET_SIM_ASAN
    __sanitizer_finish_switch_fiber(g_main_fake_stack, nullptr, nullptr);
#endif
}

// Switch from the current thread back to the scheduler.
inline void suspend(bool exiting) {
    Thread* t = g_thread;
#if XPNET_SIM_ASAN
    __sanitizer_start_switch_fiber(exiting ? nullptr : &t->fake_stack, g_main_stack_bottom,
                                   g_main_stack_size);
#else
    (void)exiting;
#endif
#if XPNET_SIM_UCONTEXT
    swapcontext(&t->ctx, &g_main_ctx);
#else
    xpnet_sim_switch(&t->sp, g_main_sp);
#endif
#if XPNET_SIM_ASAN
    __sanitizer_finish_switch_fiber(t->fake_stack, &g_main_stack_bottom, &g_main_stack_size);
#endif
}

// First code a fiber runs: the kernel body, then report DONE for good.
inline void fiber_entry() {
#if XPNET_SIM_ASAN
    __sanitizer_finish_switch_fiber(nullptr, &g_main_stack_bottom, &g_main_stack_size);
#endif
    g_kernel(g_kernel_ctx);
    g_thread->state = DONE;
    suspend(true);
    abort();  // a finished fiber is never resumed
}

// Prepare t's stack so that the first resume() enters fiber_entry().
inline void init_fiber(Thread* t) {
#if XPNET_SIM_UCONTEXT
    getcontext(&t->ctx);
    t->ctx.uc_stack.ss_sp = t->stack;
    t->ctx.uc_stack.ss_size = t->stack_size;
    t->ctx.uc_link = nullptr;
    makecontext(&t->ctx, (void (*)())fiber_entry, 0);
#else
    // Top of stack, 16-byte aligned: [top-8] fake return address of
    // fiber_entry (so rsp % 16 == 8 on entry, as after a call),
    // [top-16] fiber_entry (popped by ret), below it the 6 callee-saved
    // registers popped by xpnet_sim_switch.
    uintptr_t top = ((uintptr_t)(t->stack + t->stack_size)) & ~(uintptr_t)15;
    void** sp = (void**)top;
    *--sp = nullptr;
    *--sp = (void*)&fiber_entry;
    for (int i = 0; i < 6; ++i) *--sp = nullptr;
    t->sp = sp;
#endif
}

// Stacks are kept for the life of the process (a pool grown on demand); the
// lowest page of each is a guard page so a stack overflow faults.
inline std::vector<char*>& stack_pool() {
    static std::vector<char*> pool;
    return pool;
}
inline size_t stack_bytes() { return XPNET_SIM_ASAN ? (512u << 10) : (128u << 10); }

inline bool ensure_stacks(size_t n) {
    std::vector<char*>& pool = stack_pool();
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    while (pool.size() < n) {
        void* p = mmap(nullptr, stack_bytes(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        if (p == MAP_FAILED) return false;
        mprotect(p, page, PROT_NONE);
        pool.push_back((char*)p);
    }
    return true;
}

// ---------------------------------------------------------------------------
// Barriers (called from kernel code through the macros below)
// ---------------------------------------------------------------------------
inline void sync_block(const char* file, int line) {
    Thread* t = g_thread;
    t->state = AT_SYNC;
    t->file = file;
    t->line = line;
    suspend(false);
}

template <typename V>
inline unsigned long long warp_op(int op, const char* file, int line, unsigned mask, V v, int arg,
                                  int width, int pred) {
    static_assert(sizeof(V) <= 8, "warp ops on types of at most 8 bytes");
    Thread* t = g_thread;
    t->state = AT_WARP;
    t->file = file;
    t->line = line;
    t->op = op;
    t->value = 0;
    memcpy(&t->value, &v, sizeof(V));
    t->arg = arg;
    t->width = width;
    t->size = (int)sizeof(V);
    t->result = 0;
    // the scheduler rejects masks other than the full warp (bit 30 flags it)
    t->pred = (mask == 0xffffffffu) ? pred : (pred | (1 << 30));
    suspend(false);
    return t->result;
}

template <typename V>
inline V shfl(int op, const char* file, int line, unsigned mask, V v, int arg, int width = 32) {
    unsigned long long r = warp_op(op, file, line, mask, v, arg, width, 0);
    V out;
    memcpy(&out, &r, sizeof(V));
    return out;
}

inline unsigned long long vote(int op, const char* file, int line, unsigned mask, int pred) {
    return warp_op(op, file, line, mask, 0, 0, 32, pred ? 1 : 0);
}

}  // namespace xpnet_sim

#define __syncthreads() ::xpnet_sim::sync_block(__FILE__, __LINE__)
#define __syncwarp(...) ((void)::xpnet_sim::vote(::xpnet_sim::OP_SYNCWARP, __FILE__, __LINE__, 0xffffffffu, 0))
#define __shfl_sync(...) ::xpnet_sim::shfl(::xpnet_sim::OP_SHFL, __FILE__, __LINE__, __VA_ARGS__)
#define __shfl_up_sync(...) ::xpnet_sim::shfl(::xpnet_sim::OP_SHFL_UP, __FILE__, __LINE__, __VA_ARGS__)
#define __shfl_down_sync(...) ::xpnet_sim::shfl(::xpnet_sim::OP_SHFL_DOWN, __FILE__, __LINE__, __VA_ARGS__)
#define __shfl_xor_sync(...) ::xpnet_sim::shfl(::xpnet_sim::OP_SHFL_XOR, __FILE__, __LINE__, __VA_ARGS__)
#define __any_sync(mask, p) ((int)::xpnet_sim::vote(::xpnet_sim::OP_ANY, __FILE__, __LINE__, (mask), (p)))
#define __all_sync(mask, p) ((int)::xpnet_sim::vote(::xpnet_sim::OP_ALL, __FILE__, __LINE__, (mask), (p)))
#define __ballot_sync(mask, p) ((unsigned)::xpnet_sim::vote(::xpnet_sim::OP_BALLOT, __FILE__, __LINE__, (mask), (p)))

// ---------------------------------------------------------------------------
// Device math (float and double overloads, as CUDA's)
// ---------------------------------------------------------------------------
inline float rsqrt(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / ::sqrt(x); }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
template <typename A, typename B>
inline typename std::common_type<A, B>::type min(A a, B b) {
    typedef typename std::common_type<A, B>::type R;
    return (R)b < (R)a ? (R)b : (R)a;
}
template <typename A, typename B>
inline typename std::common_type<A, B>::type max(A a, B b) {
    typedef typename std::common_type<A, B>::type R;
    return (R)a < (R)b ? (R)b : (R)a;
}
using std::fma;
using std::fmax;
using std::fmin;
using std::sqrt;
template <typename V>
inline V __ldg(const V* p) { return *p; }

// ---------------------------------------------------------------------------
// The scheduler
// ---------------------------------------------------------------------------
namespace xpnet_sim {

enum Schedule { FORWARD = 0, REVERSE = 1, RANDOM = 2 };

struct Launch {
    int grid[3], block[3];
    long long shared_mem;
    int schedule;
    unsigned long long seed;
};

struct Failure {
    char* buf;
    int len;
    void operator()(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
};
inline void Failure::operator()(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (buf && len > 0) vsnprintf(buf, (size_t)len, fmt, ap);
    va_end(ap);
}

// Lane `lane` of the op; returns the source lane whose value it receives
// (itself when the source is out of its width segment, as CUDA).
inline int shfl_source(int op, int lane, int arg, int width) {
    const int base = lane & ~(width - 1), off = lane & (width - 1);
    switch (op) {
        case OP_SHFL: return base + (arg & (width - 1));
        case OP_SHFL_UP: return off - arg >= 0 ? lane - arg : lane;
        case OP_SHFL_DOWN: return off + arg < width ? lane + arg : lane;
        default: {  // OP_SHFL_XOR: a higher segment returns own value
            const int src = lane ^ arg;
            return src >= base + width ? lane : src;
        }
    }
}

// Release warp w if every live lane waits at the same warp op; returns
// 1 released, 0 not (yet) releasable, -1 error (message written).
inline int try_release_warp(std::vector<Thread>& th, int w, Failure& fail) {
    const int n = (int)th.size(), lo = w * 32, hi = std::min(n, lo + 32);
    int waiting = 0, done = 0, other = 0;
    Thread* first = nullptr;
    for (int i = lo; i < hi; ++i) {
        if (th[i].state == AT_WARP) {
            if (!first) first = &th[i];
            ++waiting;
        } else if (th[i].state == DONE) {
            ++done;
        } else {
            ++other;
        }
    }
    if (!first || other) return 0;
    if (done) {
        fail("warp op at %s:%d: %d lane(s) of warp %d wait but %d lane(s) already exited "
             "(divergent warp op with a full mask)", first->file, first->line, waiting, w, done);
        return -1;
    }
    for (int i = lo; i < hi; ++i) {
        Thread& t = th[i];
        if (t.line != first->line || strcmp(t.file, first->file) != 0 || t.op != first->op) {
            fail("warp %d: lanes wait at different warp ops (%s:%d and %s:%d)", w, first->file,
                 first->line, t.file, t.line);
            return -1;
        }
        if (t.pred & (1 << 30)) {
            fail("warp op at %s:%d: the simulator supports only the full mask 0xffffffff",
                 t.file, t.line);
            return -1;
        }
        if (t.op >= OP_SHFL && t.op <= OP_SHFL_XOR &&
            (t.width <= 0 || t.width > 32 || (t.width & (t.width - 1)))) {
            fail("warp shuffle at %s:%d: width %d is not a power of two in [1, 32]", t.file,
                 t.line, t.width);
            return -1;
        }
    }
    unsigned ballot = 0;
    for (int i = lo; i < hi; ++i) ballot |= (unsigned)(th[i].pred & 1) << (i - lo);
    const unsigned present = (hi - lo == 32) ? 0xffffffffu : ((1u << (hi - lo)) - 1u);
    for (int i = lo; i < hi; ++i) {
        Thread& t = th[i];
        switch (t.op) {
            case OP_SYNCWARP: t.result = 0; break;
            case OP_ANY: t.result = ballot != 0; break;
            case OP_ALL: t.result = ballot == present; break;
            case OP_BALLOT: t.result = ballot; break;
            default: {
                const int src = lo + shfl_source(t.op, i - lo, t.arg, t.width);
                // a lane that does not exist (partial last warp) gives own value
                t.result = src < hi ? th[src].value : t.value;
            }
        }
        t.state = RUNNABLE;
    }
    return 1;
}

// Release the block barrier if every live thread waits at the same
// __syncthreads(); same return convention as try_release_warp.
inline int try_release_block(std::vector<Thread>& th, Failure& fail) {
    int waiting = 0, done = 0;
    Thread* first = nullptr;
    for (Thread& t : th) {
        if (t.state == AT_SYNC) {
            if (!first) first = &t;
            ++waiting;
        } else if (t.state == DONE) {
            ++done;
        } else {
            return 0;
        }
    }
    if (!first) return 0;
    if (done) {
        fail("__syncthreads() at %s:%d is divergent: %d thread(s) wait there but %d thread(s) "
             "of the block already exited", first->file, first->line, waiting, done);
        return -1;
    }
    for (Thread& t : th) {
        if (t.line != first->line || strcmp(t.file, first->file) != 0) {
            fail("threads of the block wait at different __syncthreads() (%s:%d, thread %d, and "
                 "%s:%d, thread %d)", first->file, first->line, first->linear, t.file, t.line,
                 t.linear);
            return -1;
        }
    }
    for (Thread& t : th) t.state = RUNNABLE;
    return 1;
}

// Describe a block that can make no progress.
inline void report_deadlock(std::vector<Thread>& th, Failure& fail) {
    int sync = 0, warp = 0, done = 0;
    const Thread* s = nullptr;
    const Thread* w = nullptr;
    for (const Thread& t : th) {
        if (t.state == AT_SYNC) { ++sync; if (!s) s = &t; }
        if (t.state == AT_WARP) { ++warp; if (!w) w = &t; }
        if (t.state == DONE) ++done;
    }
    fail("deadlock: %d thread(s) at __syncthreads() (%s:%d), %d at warp ops (%s:%d), %d exited",
         sync, s ? s->file : "-", s ? s->line : 0, warp, w ? w->file : "-", w ? w->line : 0, done);
}

// Run one block to completion; 0 on success, -1 on error (message written).
inline int run_block(std::vector<Thread>& th, const Launch& L, std::mt19937_64& rng,
                     Failure& fail) {
    const int n = (int)th.size(), warps = (n + 31) / 32;
    std::vector<int> order(n);
    for (int i = 0; i < n; ++i) order[i] = L.schedule == REVERSE ? n - 1 - i : i;
    for (;;) {
        if (L.schedule == RANDOM) std::shuffle(order.begin(), order.end(), rng);
        for (int i : order)
            if (th[i].state == RUNNABLE) resume(&th[i]);
        int released = 0;
        for (int w = 0; w < warps; ++w) {
            const int r = try_release_warp(th, w, fail);
            if (r < 0) return -1;
            released += r;
        }
        if (released) continue;
        const int r = try_release_block(th, fail);
        if (r < 0) return -1;
        if (r) continue;
        bool all_done = true;
        for (const Thread& t : th) all_done = all_done && t.state == DONE;
        if (all_done) return 0;
        report_deadlock(th, fail);
        return -1;
    }
}

// Launch fn(ctx) as a grid; returns 0 or -1 with a message in err.
inline int launch(const Launch& L, void (*fn)(void*), void* ctx, char* err, int errlen) {
    Failure fail{err, errlen};
    for (int d = 0; d < 3; ++d) {
        if (L.grid[d] < 1 || L.block[d] < 1) {
            fail("grid and block dimensions must be >= 1");
            return -1;
        }
    }
    const long long nthreads = (long long)L.block[0] * L.block[1] * L.block[2];
    if (nthreads > 1024) {
        fail("block of %lld threads exceeds 1024", nthreads);
        return -1;
    }
    if (!ensure_stacks((size_t)nthreads)) {
        fail("could not allocate fiber stacks");
        return -1;
    }
    unsigned char* smem = L.shared_mem > 0 ? (unsigned char*)malloc((size_t)L.shared_mem) : nullptr;
    g_dynamic_smem = smem;
    g_kernel = fn;
    g_kernel_ctx = ctx;
    g_blockDim = uint3{(unsigned)L.block[0], (unsigned)L.block[1], (unsigned)L.block[2]};
    g_gridDim = uint3{(unsigned)L.grid[0], (unsigned)L.grid[1], (unsigned)L.grid[2]};
    std::vector<Thread> th((size_t)nthreads);
    std::mt19937_64 rng(L.seed);
    int rc = 0;
    for (int bz = 0; bz < L.grid[2] && rc == 0; ++bz)
        for (int by = 0; by < L.grid[1] && rc == 0; ++by)
            for (int bx = 0; bx < L.grid[0] && rc == 0; ++bx) {
                g_blockIdx = uint3{(unsigned)bx, (unsigned)by, (unsigned)bz};
                if (smem) memset(smem, 0xff, (size_t)L.shared_mem);
                for (SharedBuf& b : static_smem()) memset(b.p, 0xff, b.bytes);
                for (int i = 0; i < (int)nthreads; ++i) {
                    Thread& t = th[i];
                    memset(&t, 0, sizeof(Thread));
                    t.linear = i;
                    t.idx = uint3{(unsigned)(i % L.block[0]), (unsigned)((i / L.block[0]) % L.block[1]),
                                  (unsigned)(i / (L.block[0] * L.block[1]))};
                    t.state = RUNNABLE;
                    t.stack = stack_pool()[i];
                    t.stack_size = stack_bytes();
                    init_fiber(&t);
                }
                if (run_block(th, L, rng, fail) != 0) {
                    rc = -1;
                    // prefix the block index to the message
                    if (err && errlen > 0) {
                        std::vector<char> msg(err, err + strnlen(err, (size_t)errlen));
                        msg.push_back('\0');
                        snprintf(err, (size_t)errlen, "block (%d, %d, %d): %s", bx, by, bz,
                                 msg.data());
                    }
#if XPNET_SIM_ASAN
                    // abandoned fibers leave poisoned frames on their stacks
                    for (int i = 0; i < (int)nthreads; ++i)
                        ASAN_UNPOISON_MEMORY_REGION(th[i].stack, th[i].stack_size);
#endif
                }
            }
    free(smem);
    for (SharedBuf& b : static_smem()) free(b.p);
    static_smem().clear();
    g_dynamic_smem = nullptr;
    g_thread = nullptr;
    return rc;
}

}  // namespace xpnet_sim
