"""Numba, fast: the reference's maths with the samples in vector lanes, fastmath, its own vector exp, prange
over chunks of samples for large batches.

Not bit-identical, by design; held to the "fast" tolerances. Forced differences from the reference:
  * samples are columns (Xt is (n_in, N)) and every innermost loop runs over samples, because that is the
    loop LLVM's loop vectorizer can take (Numba switches LLVM's SLP vectorizer off, numba#8705, so short
    fixed-size unit loops stay scalar);
  * N is padded with zero-weight samples to a multiple of LANES (4 samples to 4), so the vector loops run
    whole vectors;
  * error_model="numpy": a division by zero gives inf instead of raising, which would otherwise put a
    branch in every loop with a division and stop it vectorizing;
  * gradients are summed in vector lanes (in whatever lane order LLVM's vectorized reduction uses) over
    blocks or chunks of samples, then across them in order; their size depends on the batch size alone,
    never on the thread count, so results do not vary between runs or with the number of threads; every such
    sum is a loop that stores nothing, so where the arrays lie cannot change which code runs (see block);
  * fastmath (reassociation, FMA contraction, reciprocal; not nnan/ninf, so inf and NaN keep their
    meaning) lets LLVM vectorize the reductions and fuse multiply-adds;
  * exp is its own (Cody-Waite reduction, a degree-11 polynomial fitted to exp on [0, ln 2], one 2^k built
    from bits with no float-to-integer conversion, which AVX2 has only one lane at a time), <= 3 ULP from
    libm's wherever exp(x) is a normal number and inf above, because math.exp stays a scalar libm call
    unless Intel's SVML is installed; below x = -708.39 it gives exp(-708.39) instead of a subnormal, which
    changes no sigmoid (1 + 2.2e-308 == 1). So the sigmoid is the textbook 1 / (1 + exp(-z)), exp(-z) = inf
    giving 0 for very negative z;
  * the 2-4-1 shape runs its own loop (train_241): the sizes written out, the parameters and sums in
    registers, CHAINS samples per iteration (four where Numba compiles for AVX-512, two for AVX2); other
    shapes go a layer at a time over blocks of BLOCK samples, except wide layers and small batches (below
    PARALLEL_MIN, units_innermost: train_units), which go two samples at a time with every innermost loop over
    the hidden units, vectorized across units rather than samples; their gradients add the samples in sample
    order, and the output's sum over units is the reordered one.
  * train_241's vector loops index views from 0, never an array at an offset (see pass_241).
fastmath sets flags on LLVM instructions only; it never changes the process floating-point environment.
"""
from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from .core import PARALLEL_MIN, Backend

LANES = 8  # N is padded to a multiple of this (4 samples to 4): 8 doubles, one AVX-512 or two AVX2 registers
BLOCK = 256  # samples per block; blocks are the unit of work for threads and of the fixed-order sum
UNITS_WIDE = 64  # hidden units from which train_units beats the blocks at any batch below PARALLEL_MIN
CHUNK = 8192  # most 2-4-1 samples per chunk, the unit of work for threads and of the fixed-order sum: each chunk
#   costs about 2 us more in prange's outlined loop than in the serial one, so with 2048 two threads gave only 1.6x
#   at N=65536 (chunk_241_size gives smaller batches two chunks)
# The GIL: the one-thread entry points (train_serial, train_units, train_241, predict) run without it (nogil=True), as
#   the C kernels do, so other Python threads run meanwhile. The prange ones (train_threaded, train_241_threaded) keep
#   it: with Numba's workqueue threading layer, two Python threads calling parallel code at once abort the process,
#   and holding the GIL keeps them apart.
FLAGS = {"reassoc", "contract", "nsz", "arcp", "afn"}  # fast, but inf and NaN keep their meaning
EXP_FLAGS = {"contract", "nsz", "afn"}  # no reassociation: it would merge the two-part ln 2 back into one

LOG2E = 1.4426950408889634
LN2_HI = 0.6931471803691238  # ln 2 split so k * LN2_HI is exact for |k| < 2**20
LN2_LO = 1.9082149292705877e-10
EXP_LO = -708.39  # the x below which exp(x) would be subnormal: the least 2^k is 2^-1022
EXP_HI = 709.78  # the x above which exp(x) overflows to inf
SHIFTER = 1.5 * 2.0**52  # an integer k (|k| < 2**51) plus SHIFTER is exact, and its bits are SHIFTER's plus k
SHIFTER_BITS = np.int64(0x4338000000000000)
# exp(r) - 1 on [0, ln 2] (r's coefficient first): a least-squares fit at 300 Chebyshev nodes of
# [-0.001, ln 2 + 0.001] in 60-digit arithmetic, rounded to double; 3e-17 from exp(r) at worst
EXP_C = (1.0000000000000013, 0.49999999999989614, 0.16666666666964142, 0.04166666662405936, 0.00833333368825188,
         0.001388887030250241, 0.00019841906641493095, 2.4787118479323423e-05, 2.777282725286102e-06,
         2.554769885145582e-07, 3.549504469825461e-08)


@intrinsic
def _float_from_bits(typingctx, bits):
    """The float64 whose IEEE-754 bits are the int64 `bits` (an LLVM bitcast, which vectorizes)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))
    return types.float64(types.int64), codegen


@intrinsic
def _bits_from_float(typingctx, x):
    """The int64 holding the IEEE-754 bits of the float64 `x` (an LLVM bitcast, which vectorizes)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))
    return types.int64(types.float64), codegen


def _vector_registers():
    """How many vector registers the code Numba compiles here may use: 32 with AVX-512 (zmm0-31), else 16.
    Read from the features Numba's own code generator targets (those its cache is keyed on)."""
    from numba.core.registry import cpu_target
    return 32 if "+avx512f" in cpu_target.target_context.codegen().magic_tuple()[2].split(",") else 16


CHAINS = 4 if _vector_registers() == 32 else 2  # independent samples per iteration of the 2-4-1 loop (samples_241)


@intrinsic
def _align_function(typingctx):
    """Aligns the function it is inlined into to 64 bytes: its code and its stack frame. No instruction in any loop.

    Code: LLVM aligns a function to 16 bytes and its loops to 16 within it, so where the JIT loads a function
    decides how its loops sit across 64-byte fetch windows. Measured on AMD EPYC Zen 3, N=16: chunk_241 compiled in
    the process sits at a page boundary and ran at 192-195 ns an epoch; the same object code loaded from Numba's
    cache sat inside train_241's at 48 mod 64 and ran at 226-235 (N=32: 360 against 402-425), every process. The
    function alignment is set the way LLVM's parser accepts it, as `align 64` among the function's attributes
    (added with set.add: llvmlite's attribute check lists only keyword attributes).
    Frame: an unused 64-byte-aligned alloca, kept by an empty asm statement that reads its address. Without it
    LLVM decides too late to realign and spills 512-bit registers to slots only 16-byte aligned, so where the
    caller leaves the stack pointer decides how many of the 2-4-1 loop's spills and reloads straddle two cache
    lines: measured on Zen 4, N=64, one process, the same compiled function ran at 110-144M samples/s depending
    only on how deep the Python call was."""
    def codegen(context, builder, signature, args):
        set.add(builder.function.attributes, "align 64")
        slot = cgutils.alloca_once(builder, ir.VectorType(ir.DoubleType(), 8))
        slot.align = 64
        builder.asm(ir.FunctionType(ir.VoidType(), [slot.type]), "", "r", [slot], side_effect=True)
        return context.get_dummy_value()
    return types.none(), codegen


@intrinsic
def _take(typingctx, counter):
    """counter[0] (an int64 array) plus one, atomically; returns its value before: each caller, on any thread,
    gets a number no other caller gets."""
    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        return builder.atomic_rmw("add", data, ir.Constant(ir.IntType(64), 1), "monotonic")
    return types.int64(counter), codegen


@njit(fastmath=EXP_FLAGS, error_model="numpy")  # not inlined by Numba, so its own flags survive; LLVM inlines it
def exp(x):
    """exp(x) for x <= EXP_HI, inf above; below EXP_LO, exp(EXP_LO) (about 2.2e-308) rather than a subnormal:
    the sigmoid only ever adds it to 1. x = k ln 2 + r, k = floor(x / ln 2), exp(x) = 2^k exp(r), one 2^k."""
    overflow = x > EXP_HI
    x = min(max(x, EXP_LO), EXP_HI)
    kf = np.floor(x * LOG2E)  # a float: math.floor's integer would cost a float-to-int conversion per lane
    r = (x - kf * LN2_HI) - kf * LN2_LO
    c = EXP_C
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    p = (((1.0 + r * c[0]) + r2 * (c[1] + r * c[2])) + r4 * ((c[3] + r * c[4]) + r2 * (c[5] + r * c[6]))
         + r8 * ((c[7] + r * c[8]) + r2 * (c[9] + r * c[10])))
    k = _bits_from_float(kf + SHIFTER) - SHIFTER_BITS  # kf as an int64 without a conversion (no reassociation)
    e = p * _float_from_bits((k + 1023) << 52)
    return math.inf if overflow else e


@njit(fastmath=FLAGS, error_model="numpy", inline="always")
def sigmoid(z):
    return 1.0 / (1.0 + exp(-z))  # exp(-z) = inf for z < -709.8 gives 1 / inf = 0


@njit(fastmath=FLAGS, error_model="numpy", inline="always")
def layer(act, inp, start, count, w, b, has_bias):
    """act[u, m] = sigmoid(sum_p inp[p, start + m] * w[p, u] + b[u]) for m < count.

    Shapes: inp (n_prev, >= start + count), w (n_prev, n_units), b (n_units,) or empty, act (n_units, >= count).
    """
    for u in range(w.shape[1]):
        for m in range(count):
            act[u, m] = 0.0
        for p in range(w.shape[0]):
            weight = w[p, u]
            for m in range(count):
                act[u, m] += inp[p, start + m] * weight
        bias = b[u] if has_bias else 0.0
        for m in range(count):
            act[u, m] = sigmoid(act[u, m] + bias)  # + 0.0 without biases: at most -0.0 -> +0.0


@njit(fastmath=FLAGS, error_model="numpy", inline="always")
def block(dw1, db1, dw2, db2, sq, b, hidden, d_out, d_z1, Xt, Yt, mask, start, count,
          w1, b1, w2, b2, scale, has_bias):
    """Forward and backward over samples [start, start + count), a layer at a time; sums go to slot b.

    Shapes: Xt (n_in, Np), Yt (n_out, Np), mask (Np,); scratch hidden (n_hidden, >= count),
    d_out (n_out, >= count), d_z1 (>= count,); slots dw1 (blocks, n_in, n_hidden), db1 (blocks, n_hidden),
    dw2 (blocks, n_hidden, n_out), db2 (blocks, n_out), sq (blocks,).
    Every innermost loop runs over the block's samples: that is the loop LLVM vectorizes.
    """
    n_in, n_hidden = w1.shape
    n_out = w2.shape[1]
    layer(hidden, Xt, start, count, w1, b1, has_bias)
    # Forced difference: every sum over samples is a loop of its own that stores nothing. LLVM guards a vectorized
    # loop that stores to one array and reads others with a run-time check that they do not overlap, and runs
    # the loop unvectorized, its sums in another order, when the check fails; the check also failed for arrays
    # that never overlap, depending on where they lay (Yt allocated anywhere before d_out, AMD EPYC Zen 3), so the
    # same block on another thread, with scratch of its own, gave other bits. A loop that only reads needs no check
    # (the extra passes cost 0-3%, AMD EPYC Zen 3).
    total = 0.0
    for k in range(n_out):  # the output layer, fused with the loss and the deltas (a separate layer() is slower)
        for m in range(count):
            d_out[k, m] = 0.0
        for j in range(n_hidden):
            w = w2[j, k]
            for m in range(count):
                d_out[k, m] += hidden[j, m] * w
        bias = b2[k] if has_bias else 0.0
        for m in range(count):
            out = sigmoid(d_out[k, m] + bias)
            diff = (out - Yt[k, start + m]) * mask[start + m]
            d_z1[m] = diff  # free until the backward pass: the errors, for the loss below
            d_out[k, m] = scale * diff * out * (1.0 - out)
        g = 0.0
        for m in range(count):
            total += d_z1[m] * d_z1[m]
            g += d_out[k, m]
        db2[b, k] = g
    sq[b] = total
    for j in range(n_hidden):
        for m in range(count):
            d_z1[m] = 0.0
        for k in range(n_out):
            w = w2[j, k]
            for m in range(count):
                d_z1[m] += d_out[k, m] * w
            g = 0.0
            for m in range(count):
                g += hidden[j, m] * d_out[k, m]
            dw2[b, j, k] = g
        for m in range(count):
            d_z1[m] *= hidden[j, m] * (1.0 - hidden[j, m])
        g = 0.0
        for m in range(count):
            g += d_z1[m]
        db1[b, j] = g
        for i in range(n_in):
            g = 0.0
            for m in range(count):
                g += Xt[i, start + m] * d_z1[m]
            dw1[b, i, j] = g


@njit(fastmath=FLAGS, error_model="numpy", inline="always")
def step(w1, b1, w2, b2, dw1, db1, dw2, db2, lr, has_bias):
    """Subtract lr times the gradients, summed over blocks in block order."""
    n_blocks, n_in, n_hidden = dw1.shape
    n_out = w2.shape[1]
    for i in range(n_in):
        for j in range(n_hidden):
            g = dw1[0, i, j]
            for b in range(1, n_blocks):
                g += dw1[b, i, j]
            w1[i, j] -= lr * g
    for j in range(n_hidden):
        for k in range(n_out):
            g = dw2[0, j, k]
            for b in range(1, n_blocks):
                g += dw2[b, j, k]
            w2[j, k] -= lr * g
    if has_bias:
        for j in range(n_hidden):
            g = db1[0, j]
            for b in range(1, n_blocks):
                g += db1[b, j]
            b1[j] -= lr * g
        for k in range(n_out):
            g = db2[0, k]
            for b in range(1, n_blocks):
                g += db2[b, k]
            b2[k] -= lr * g


@njit(fastmath=FLAGS, error_model="numpy", inline="always")
def in_order(sq):
    total = sq[0]
    for b in range(1, sq.shape[0]):
        total += sq[b]
    return total


@njit(fastmath=FLAGS, error_model="numpy", inline="always")
def block_range(dw1, db1, dw2, db2, sq, first, stop, hidden, d_out, d_z1, Xt, Yt, mask, w1, b1, w2, b2, scale,
                has_bias):
    """Blocks first to stop - 1, one after the other, with the scratch hidden, d_out, d_z1."""
    n_padded = Xt.shape[1]
    for b in range(first, stop):
        start = b * BLOCK
        block(dw1, db1, dw2, db2, sq, b, hidden, d_out, d_z1, Xt, Yt, mask, start, min(BLOCK, n_padded - start),
              w1, b1, w2, b2, scale, has_bias)


@njit(fastmath=FLAGS, error_model="numpy")  # not inlined: one compiled function (see the docstring)
def blocks(dw1, db1, dw2, db2, sq, first, stop, hidden, d_out, d_z1, Xt, Yt, mask, w1, b1, w2, b2, scale, has_bias):
    """block_range, compiled once. A batch threads may take (PARALLEL_MIN samples or more) runs its blocks here, on
    one thread or many, rather than in code inlined into each caller, so that both run the same machine code and
    results cannot depend on the thread count through how LLVM compiled each copy. (With the loop inlined into
    each, 2-8-1 at N=65536 gave db1 one bit apart on one thread and two, AMD EPYC Zen 3; the run-time overlap
    checks described in block may have been the whole cause.) A call per epoch would cost smaller
    batches up to half their speed (2-3-1, N=8), so below PARALLEL_MIN block_range is inlined."""
    block_range(dw1, db1, dw2, db2, sq, first, stop, hidden, d_out, d_z1, Xt, Yt, mask, w1, b1, w2, b2, scale,
                has_bias)


@njit(fastmath=FLAGS, error_model="numpy", parallel=True)  # not inlined: see the docstring
def epoch_parallel(dw1, db1, dw2, db2, sq, Xt, Yt, mask, w1, b1, w2, b2, scale, has_bias):
    """Every block, a block at a time to whichever thread is free, as epoch_241 (prange alone gives each thread
    half the blocks up front). The first iteration each thread runs gets scratch of its own and takes blocks
    (_take) until none is left; the rest find nothing. Each block's sums go to its own slot, so the bits do not
    depend on which thread took it. Compiled on its own: inlined into train_body's loop over epochs, Numba 0.68's
    parfor pass gave wrong sums (NaN after a few epochs)."""
    n_padded = Xt.shape[1]
    width = min(BLOCK, n_padded)
    taken = np.empty(1, np.int64)  # not np.zeros: see epoch_241
    taken[0] = 0
    for _ in prange(sq.shape[0]):
        c = _take(taken)
        if c < sq.shape[0]:
            own_hidden, own_d_out, own_d_z1 = (np.empty((w1.shape[1], width)), np.empty((w2.shape[1], width)),
                                               np.empty(width))
            while c < sq.shape[0]:
                blocks(dw1, db1, dw2, db2, sq, c, c + 1, own_hidden, own_d_out, own_d_z1, Xt, Yt, mask, w1, b1, w2,
                       b2, scale, has_bias)
                c = _take(taken)


@njit(fastmath=FLAGS, error_model="numpy", inline="always")
def train_body(w1, b1, w2, b2, losses, Xt, Yt, mask, epochs, lr, mse, record_every, has_bias, want_loss, threaded):
    """Shared by train_serial and train_threaded; `threaded` picks the epoch, and only prange differs. Returns
    the final loss, or nan without its pass if not want_loss."""
    n_in, n_hidden = w1.shape
    n_out = w2.shape[1]
    n_padded = Xt.shape[1]
    count = Yt.shape[0] * int(mask.sum())
    scale = 2.0 / count if mse else 2.0
    n_blocks = (n_padded + BLOCK - 1) // BLOCK
    dw1 = np.empty((n_blocks, n_in, n_hidden))
    db1 = np.empty((n_blocks, n_hidden))
    dw2 = np.empty((n_blocks, n_hidden, n_out))
    db2 = np.empty((n_blocks, n_out))
    sq = np.empty(n_blocks)
    width = min(BLOCK, n_padded)
    hidden = np.empty((n_hidden, width))
    d_out = np.empty((n_out, width))
    d_z1 = np.empty(width)
    for e in range(epochs + 1 if want_loss else epochs):  # the last pass only measures the final loss
        if threaded:
            epoch_parallel(dw1, db1, dw2, db2, sq, Xt, Yt, mask, w1, b1, w2, b2, scale, has_bias)
        elif n_padded >= PARALLEL_MIN:  # the threaded epoch's own code, on one thread: its bits
            blocks(dw1, db1, dw2, db2, sq, 0, n_blocks, hidden, d_out, d_z1, Xt, Yt, mask, w1, b1, w2, b2, scale,
                   has_bias)
        else:
            block_range(dw1, db1, dw2, db2, sq, 0, n_blocks, hidden, d_out, d_z1, Xt, Yt, mask, w1, b1, w2, b2, scale,
                        has_bias)
        if e == epochs:
            break
        step(w1, b1, w2, b2, dw1, db1, dw2, db2, lr, has_bias)
        if record_every > 0 and e % record_every == 0:
            total = in_order(sq)
            losses[e // record_every] = total / count if mse else total
    if not want_loss:
        return np.nan
    total = in_order(sq)
    return total / count if mse else total


@njit(fastmath=FLAGS, error_model="numpy", cache=True, nogil=True)  # see "The GIL" at the top
def train_serial(w1, b1, w2, b2, losses, Xt, Yt, mask, epochs, lr, mse, record_every, has_bias, want_loss):
    return train_body(w1, b1, w2, b2, losses, Xt, Yt, mask, epochs, lr, mse, record_every, has_bias, want_loss,
                      False)


@njit(fastmath=FLAGS, error_model="numpy", parallel=True, cache=True)
def train_threaded(w1, b1, w2, b2, losses, Xt, Yt, mask, epochs, lr, mse, record_every, has_bias, want_loss):
    return train_body(w1, b1, w2, b2, losses, Xt, Yt, mask, epochs, lr, mse, record_every, has_bias, want_loss,
                      True)


def units_innermost(n_samples, n_hidden):
    """Whether a batch runs train_units: a hidden layer of at least UNITS_WIDE units, or of more than four and at
    least as many as the samples; below PARALLEL_MIN only (so never threaded: the choice depends on the shape
    alone). Measured on AMD EPYC Zen 3, one thread, as times c-simd, train_units against the blocks: N=4 hidden 5
    0.61 against 0.53, hidden 3 0.47 against 0.57; hidden 8 N=8 0.75 against 0.65, N=16 0.69 against 0.83;
    hidden 32 N=32 1.13 against 0.98, N=64 1.09 against 1.08, N=256 1.06 against 1.14; hidden 64 N=1024 1.15
    against 1.09, N=2048 1.19 against 1.13."""
    return n_samples < PARALLEL_MIN and (n_hidden >= UNITS_WIDE or 4 < n_hidden and n_samples <= n_hidden)


@njit(fastmath=FLAGS, error_model="numpy", inline="always")
def epoch_units(dw1, db1, dw2t, db2, z, hidden, d_hidden, X, Y, mask, w1, b1, w2t, b2, scale, has_bias):
    """Every sample's forward and backward into the gradients dw1, db1, dw2t, db2, two samples side by side (a
    and b: one sample's work is a chain two sigmoids deep, and two give the core independent work to overlap);
    each gradient adds its samples in sample order. Returns the squared error's sum. Every innermost loop runs
    over the hidden units, the loop LLVM vectorizes here.

    Shapes: X (Ne, n_in), Y (Ne, n_out), mask (Ne,): the samples as rows, Ne even (an odd batch gets a
    zero-weight row); w1 and dw1 (n_in, n_hidden), w2t and dw2t (n_out, n_hidden): w2 transposed, so that a
    unit's weights lie side by side; scratch z, hidden, d_hidden (2, n_hidden).
    """
    n_in, n_hidden = w1.shape
    z_a, z_b, h_a, h_b, d_a, d_b = z[0], z[1], hidden[0], hidden[1], d_hidden[0], d_hidden[1]
    dw1[:] = 0.0
    db1[:] = 0.0
    dw2t[:] = 0.0
    db2[:] = 0.0
    sq = 0.0
    for a in range(0, X.shape[0], 2):
        b = a + 1
        for j in range(n_hidden):
            bias = b1[j] if has_bias else 0.0
            z_a[j] = bias
            z_b[j] = bias
        for i in range(n_in):
            x_a, x_b = X[a, i], X[b, i]
            for j in range(n_hidden):
                z_a[j] += x_a * w1[i, j]
                z_b[j] += x_b * w1[i, j]
        for j in range(n_hidden):
            h_a[j] = sigmoid(z_a[j])
            h_b[j] = sigmoid(z_b[j])
            d_a[j] = 0.0
            d_b[j] = 0.0
        for k in range(w2t.shape[0]):
            acc_a = 0.0
            acc_b = 0.0
            for j in range(n_hidden):  # sums that LLVM vectorizes, in lanes: reordered
                acc_a += h_a[j] * w2t[k, j]
                acc_b += h_b[j] * w2t[k, j]
            bias = b2[k] if has_bias else 0.0
            out_a = sigmoid(acc_a + bias)
            out_b = sigmoid(acc_b + bias)
            diff_a = out_a - Y[a, k]
            diff_b = (out_b - Y[b, k]) * mask[b]  # only a b can be the padding row
            sq += diff_a * diff_a
            sq += diff_b * diff_b
            d_out_a = scale * diff_a * out_a * (1.0 - out_a)
            d_out_b = scale * diff_b * out_b * (1.0 - out_b)
            db2[k] += d_out_a
            db2[k] += d_out_b
            for j in range(n_hidden):
                dw2t[k, j] += h_a[j] * d_out_a
                dw2t[k, j] += h_b[j] * d_out_b
                d_a[j] += d_out_a * w2t[k, j]
                d_b[j] += d_out_b * w2t[k, j]
        for j in range(n_hidden):
            d_z1_a = d_a[j] * h_a[j] * (1.0 - h_a[j])
            d_z1_b = d_b[j] * h_b[j] * (1.0 - h_b[j])
            db1[j] += d_z1_a
            db1[j] += d_z1_b
            z_a[j] = d_z1_a  # z is free again
            z_b[j] = d_z1_b
        for i in range(n_in):
            x_a, x_b = X[a, i], X[b, i]
            for j in range(n_hidden):
                dw1[i, j] += x_a * z_a[j]
                dw1[i, j] += x_b * z_b[j]
    return sq


@njit(fastmath=FLAGS, error_model="numpy", cache=True, nogil=True)  # see "The GIL" at the top
def train_units(w1, b1, w2, b2, losses, X, Y, mask, epochs, lr, mse, record_every, has_bias, want_loss):
    """A small batch or a wide layer on one thread (units_innermost): samples two at a time, vectorized across the
    hidden units (layer() over four samples would run scalar: LLVM unrolls a loop of four fully, and Numba has
    its SLP vectorizer off). The same arguments as train_serial but the samples as rows (rows()); w2 is worked on
    transposed and written back at the end of the call."""
    n_in, n_hidden = w1.shape
    n_out = w2.shape[1]
    count = n_out * int(mask.sum())
    scale = 2.0 / count if mse else 2.0
    w2t = np.ascontiguousarray(w2.T)
    dw1, db1, dw2t, db2 = np.empty_like(w1), np.empty(n_hidden), np.empty_like(w2t), np.empty(n_out)
    z, hidden, d_hidden = np.empty((2, n_hidden)), np.empty((2, n_hidden)), np.empty((2, n_hidden))
    total = 0.0
    for e in range(epochs + 1 if want_loss else epochs):  # the last pass only measures the final loss
        total = epoch_units(dw1, db1, dw2t, db2, z, hidden, d_hidden, X, Y, mask, w1, b1, w2t, b2, scale, has_bias)
        if e == epochs:
            break
        for i in range(n_in):
            for j in range(n_hidden):
                w1[i, j] -= lr * dw1[i, j]
        for k in range(n_out):
            for j in range(n_hidden):
                w2t[k, j] -= lr * dw2t[k, j]
        if has_bias:
            for j in range(n_hidden):
                b1[j] -= lr * db1[j]
            for k in range(n_out):
                b2[k] -= lr * db2[k]
        if record_every > 0 and e % record_every == 0:
            losses[e // record_every] = total / count if mse else total
    for j in range(n_hidden):
        for k in range(n_out):
            w2[j, k] = w2t[k, j]
    if not want_loss:
        return np.nan
    return total / count if mse else total


# The 2-4-1 path keeps the parameters and the gradient sums in tuples, which LLVM holds in registers:
#   p = (w1_00, w1_01, w1_02, w1_03, w1_10, w1_11, w1_12, w1_13, b1_0, b1_1, b1_2, b1_3, w2_0, w2_1, w2_2, w2_3, b2_0)
#   g = (squared error, then the gradient of each entry of p, in p's order)
ZERO_241 = (0.0,) * 18


@njit(fastmath=FLAGS, error_model="numpy", inline="always")
def sample_241(g, p, x0, x1, y, weight, scale):
    """g plus one sample's squared error and gradient terms: the reference's forward and backward on 2-4-1."""
    w1_00, w1_01, w1_02, w1_03, w1_10, w1_11, w1_12, w1_13, b1_0, b1_1, b1_2, b1_3, w2_0, w2_1, w2_2, w2_3, b2_0 = p
    h0 = sigmoid(x0 * w1_00 + x1 * w1_10 + b1_0)
    h1 = sigmoid(x0 * w1_01 + x1 * w1_11 + b1_1)
    h2 = sigmoid(x0 * w1_02 + x1 * w1_12 + b1_2)
    h3 = sigmoid(x0 * w1_03 + x1 * w1_13 + b1_3)
    out = sigmoid(h0 * w2_0 + h1 * w2_1 + h2 * w2_2 + h3 * w2_3 + b2_0)
    diff = (out - y) * weight
    d_out = scale * diff * out * (1.0 - out)
    d_z1_0 = d_out * w2_0 * (h0 * (1.0 - h0))
    d_z1_1 = d_out * w2_1 * (h1 * (1.0 - h1))
    d_z1_2 = d_out * w2_2 * (h2 * (1.0 - h2))
    d_z1_3 = d_out * w2_3 * (h3 * (1.0 - h3))
    return (g[0] + diff * diff,
            g[1] + x0 * d_z1_0, g[2] + x0 * d_z1_1, g[3] + x0 * d_z1_2, g[4] + x0 * d_z1_3,
            g[5] + x1 * d_z1_0, g[6] + x1 * d_z1_1, g[7] + x1 * d_z1_2, g[8] + x1 * d_z1_3,
            g[9] + d_z1_0, g[10] + d_z1_1, g[11] + d_z1_2, g[12] + d_z1_3,
            g[13] + h0 * d_out, g[14] + h1 * d_out, g[15] + h2 * d_out, g[16] + h3 * d_out,
            g[17] + d_out)


@njit(fastmath=FLAGS, error_model="numpy", inline="always")
def pass_241(g, p, x0, x1, y, weight, scale):
    """g plus the sums over the samples of the 1-D views x0, x1, y, weight: the loop LLVM vectorizes.

    Views, so that every index counts up from 0: with an offset of unknown sign, Numba's negative-index
    wraparound would turn each load into a gather.
    """
    for m in range(x0.shape[0]):
        g = sample_241(g, p, x0[m], x1[m], y[m], weight[m], scale)
    return g


@njit(fastmath=FLAGS, error_model="numpy", inline="always")
def views_241(x0, x1, y, weight):
    """The samples of the 1-D views x0, x1, y, weight for sums_241: q and views, those four of each of four parts
    of q samples (q = n // (CHAINS * LANES) * LANES; the parts past CHAINS go unused), with AVX-512 those four of
    each of two parts of r samples (r = the rest's whole pairs of vectors), then those four of the rest."""
    q = x0.shape[0] // (CHAINS * LANES) * LANES
    a, b, c, d = q, 2 * q, 3 * q, CHAINS * q
    wide = (x0[:a], x1[:a], y[:a], weight[:a], x0[a:b], x1[a:b], y[a:b], weight[a:b],
            x0[b:c], x1[b:c], y[b:c], weight[b:c], x0[c:d], x1[c:d], y[c:d], weight[c:d])
    if CHAINS == 4:  # a constant: Numba prunes the branch not taken, and without AVX-512 the views are as before
        r = (x0.shape[0] - d) // (2 * LANES) * LANES
        e, f = d + r, d + 2 * r
        return q, wide + (x0[d:e], x1[d:e], y[d:e], weight[d:e], x0[e:f], x1[e:f], y[e:f], weight[e:f],
                          x0[f:], x1[f:], y[f:], weight[f:])
    return q, wide + (x0[d:], x1[d:], y[d:], weight[d:])


@njit(fastmath=FLAGS, error_model="numpy", inline="always")
def sums_241(p, q, views, scale):
    """The sums over the samples views_241 gave: CHAINS an iteration, one from each part, side by side, then with
    AVX-512 two, then the rest one an iteration. One sample's epoch is a chain two sigmoids deep, and independent
    chains keep the out-of-order core busy. Four with AVX-512, whether LLVM's tuning for the CPU picks 512-bit
    vectors (Zen 4) or 256-bit ones (Intel; measured on Zen 4 with NUMBA_CPU_NAME=skylake-avx512: 15% over two
    chains); two with AVX2, whose 16 vector registers the 17 parameters and 18 sums already overflow, so that four
    chains' temporaries spill more (measured on Zen 3: two chains 1.04-1.28x four from N=64). The two-chain stage
    after four is for 16 to 31 samples left (all of them at N=16), which would otherwise run as 8-wide vectors one
    after another where c-simd runs four 4-wide ones side by side. CHAINS is a constant: its branches are compiled
    away."""
    if CHAINS == 4:
        (x0_a, x1_a, y_a, w_a, x0_b, x1_b, y_b, w_b, x0_c, x1_c, y_c, w_c, x0_d, x1_d, y_d, w_d,
         x0_e, x1_e, y_e, w_e, x0_f, x1_f, y_f, w_f, x0_t, x1_t, y_t, w_t) = views
    else:
        (x0_a, x1_a, y_a, w_a, x0_b, x1_b, y_b, w_b, x0_c, x1_c, y_c, w_c, x0_d, x1_d, y_d, w_d,
         x0_t, x1_t, y_t, w_t) = views
    g = ZERO_241
    for m in range(q):
        g = sample_241(g, p, x0_a[m], x1_a[m], y_a[m], w_a[m], scale)
        g = sample_241(g, p, x0_b[m], x1_b[m], y_b[m], w_b[m], scale)
        if CHAINS == 4:
            g = sample_241(g, p, x0_c[m], x1_c[m], y_c[m], w_c[m], scale)
            g = sample_241(g, p, x0_d[m], x1_d[m], y_d[m], w_d[m], scale)
    if CHAINS == 4:
        for m in range(x0_e.shape[0]):
            g = sample_241(g, p, x0_e[m], x1_e[m], y_e[m], w_e[m], scale)
            g = sample_241(g, p, x0_f[m], x1_f[m], y_f[m], w_f[m], scale)
    return pass_241(g, p, x0_t, x1_t, y_t, w_t, scale)


@njit(fastmath=FLAGS, error_model="numpy", inline="always")
def epoch_241(sums, p, losses, Xt, Yt, mask, n_padded, chunk, lr, count, scale, mse, record_every, has_bias,
              threaded):
    """The sums over every sample of a batch of two or more chunks, `chunk` samples at a time and then in chunk
    order. Canonical XOR's n_padded is the constant 4 (see train_241): one pass, four samples in one vector. (A
    batch of one chunk runs all its epochs in one chunk_241 call instead.)

    threaded (a constant: LLVM drops the other branch): a chunk at a time to whichever thread is free, as
    c-simd's schedule(dynamic, 1). prange alone gives each thread half the chunks up front (Numba's OpenMP
    layer schedules statically whatever set_parallel_chunksize says), so a vCPU the host slows down holds the
    other back. Every iteration takes chunk numbers (_take) until none is left; the first iteration each thread
    runs does the work and the rest find nothing. Each chunk's sums go to their own row, so the bits do not
    depend on which thread took it. Measured on AMD EPYC Zen 3 (a noisy host), two threads at N=65536, this
    against prange's halves, interleaved: 1.01-1.22x over ten runs. The two branches write the chunk call out
    each: through one shared inlined helper, train_241's code (its XOR loop's registers) changed on Zen 3; as
    written, train_241 compiles to the same code as with the prange loop alone (Zen 3, and znver4)."""
    if n_padded == 4:
        return pass_241(ZERO_241, p, Xt[0, :4], Xt[1, :4], Yt[0, :4], mask[:4], scale)
    if threaded:
        # Under parallel=True every whole-array operation is a parallel loop of its own, started on every thread:
        # 6-9 us each (an empty prange, AMD EPYC Zen 3). np.zeros here and `sums[0] += sums[c]` below were nine
        # of them an epoch at N=65536, so the counter is set and the sums added element by element, in plain loops.
        taken = np.empty(1, np.int64)
        taken[0] = 0
        for _ in prange(sums.shape[0]):
            c = _take(taken)
            while c < sums.shape[0]:
                start, stop = c * chunk, min(c * chunk + chunk, n_padded)
                chunk_241(p, sums[c], losses, Xt[0, start:stop], Xt[1, start:stop], Yt[0, start:stop],
                          mask[start:stop], np.int64(0), lr, count, scale, mse, record_every, has_bias)
                c = _take(taken)
    else:
        for c in range(sums.shape[0]):
            start, stop = c * chunk, min(c * chunk + chunk, n_padded)
            # epochs = np.int64(0): the sums alone (a literal 0 would compile chunk_241 a second time)
            chunk_241(p, sums[c], losses, Xt[0, start:stop], Xt[1, start:stop], Yt[0, start:stop], mask[start:stop],
                      np.int64(0), lr, count, scale, mse, record_every, has_bias)
    for c in range(1, sums.shape[0]):
        for i in range(sums.shape[1]):
            sums[0, i] += sums[c, i]
    t = sums[0]
    return (t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], t[12], t[13], t[14], t[15],
            t[16], t[17])


@njit(inline="always")
def chunk_241_size(n_padded):
    """Samples per chunk for a batch of n_padded: all of them below PARALLEL_MIN (one thread), else half the batch
    (a multiple of LANES) up to CHUNK, so that from PARALLEL_MIN on there are at least two chunks for two threads.
    It depends on the batch alone, never on the thread count, so neither do the bits."""
    if n_padded < PARALLEL_MIN:
        return n_padded
    return min(CHUNK, (n_padded + 2 * LANES - 1) // (2 * LANES) * LANES)


@njit(fastmath=FLAGS, error_model="numpy", inline="always")
def update_241(p, g, lr, has_bias):
    """p minus lr times the gradient sums in g (the biases only if the network has them)."""
    w1 = (p[0] - lr * g[1], p[1] - lr * g[2], p[2] - lr * g[3], p[3] - lr * g[4],
          p[4] - lr * g[5], p[5] - lr * g[6], p[6] - lr * g[7], p[7] - lr * g[8])
    w2 = (p[12] - lr * g[13], p[13] - lr * g[14], p[14] - lr * g[15], p[15] - lr * g[16])
    if has_bias:
        return w1 + (p[8] - lr * g[9], p[9] - lr * g[10], p[10] - lr * g[11], p[11] - lr * g[12]) + w2 \
            + (p[16] - lr * g[17],)
    return w1 + (p[8], p[9], p[10], p[11]) + w2 + (p[16],)


@njit(fastmath=FLAGS, error_model="numpy", inline="always")
def loss_241(g, count, mse):
    """The loss from an epoch's sums g: their squared error, over the count of outputs for MSE."""
    return g[0] / count if mse else g[0]


@njit(fastmath=FLAGS, error_model="numpy", inline="always")
def record_update_241(p, g, losses, e, lr, count, mse, record_every, has_bias):
    """p after epoch e's update from its sums g; epoch e's loss recorded every record_every epochs."""
    if record_every > 0 and e % record_every == 0:
        losses[e // record_every] = loss_241(g, count, mse)
    return update_241(p, g, lr, has_bias)


@njit(fastmath=FLAGS, error_model="numpy")  # not inlined: one compiled function (see the docstring)
def chunk_241(p, sums, losses, x0, x1, y, weight, epochs, lr, count, scale, mse, record_every, has_bias):
    """p after `epochs` updates from the samples of the 1-D views x0, x1, y, weight; their sums after the last go
    to sums (18,). epochs=0 for a chunk of a batch (the sums alone), all of them for a batch of one chunk (every
    epoch in one call: its views made once and no call between epochs; a call per epoch cost 35-40 ns an epoch
    more on AMD EPYC Zen 3, where c-simd's whole epoch at N=16 is 190 ns). The sums are stored, not returned:
    returned, they made N=32-48 20-30% slower (Zen 3).

    Compiled once, on its own, and called by train_241 and train_241_threaded (its prange body) alike, rather than
    inlined into each: LLVM's vectorizer chose different interleavings (so different sum orders, so different
    bits) for the same loop in the serial and the outlined prange function on Zen 3, and results must not depend
    on the thread count. Its code and frame are aligned to 64 bytes (_align_function).
    """
    _align_function()
    q, views = views_241(x0, x1, y, weight)
    for e in range(epochs + 1):  # the last pass only measures the sums (the loss)
        g = sums_241(p, q, views, scale)
        if e == epochs:
            (sums[0], sums[1], sums[2], sums[3], sums[4], sums[5], sums[6], sums[7], sums[8], sums[9], sums[10],
             sums[11], sums[12], sums[13], sums[14], sums[15], sums[16], sums[17]) = g  # one store per sum: an
            #   index that is not a constant would keep g in memory
            break
        p = record_update_241(p, g, losses, e, lr, count, mse, record_every, has_bias)
    return p


@njit(fastmath=FLAGS, error_model="numpy", inline="always")
def body_241(w1, b1, w2, b2, losses, Xt, Yt, mask, epochs, lr, mse, record_every, has_bias, want_loss, n_padded,
             threaded):
    """The whole 2-4-1 training loop on n_padded samples, the parameters in locals; threaded: see epoch_241.
    Returns the final loss, or nan without its pass if not want_loss."""
    count = mask.sum()
    scale = 2.0 / count if mse else 2.0
    b1_0 = b1_1 = b1_2 = b1_3 = b2_0 = 0.0
    if has_bias:
        b1_0, b1_1, b1_2, b1_3, b2_0 = b1[0], b1[1], b1[2], b1[3], b2[0]
    p = (w1[0, 0], w1[0, 1], w1[0, 2], w1[0, 3], w1[1, 0], w1[1, 1], w1[1, 2], w1[1, 3],
         b1_0, b1_1, b1_2, b1_3, w2[0, 0], w2[1, 0], w2[2, 0], w2[3, 0], b2_0)
    chunk = chunk_241_size(n_padded)
    sums = np.empty(((n_padded + chunk - 1) // chunk, 18))
    loss = np.nan
    if n_padded != 4 and chunk == n_padded:  # one chunk: every epoch in one call
        # The pass for the final loss runs even if not want_loss: one pass in a call's many epochs (a batch below
        # PARALLEL_MIN), where a loop bound that depends on want_loss made N=32 12% slower (AMD EPYC Zen 3).
        p = chunk_241(p, sums[0], losses, Xt[0], Xt[1], Yt[0], mask, epochs, lr, count, scale, mse, record_every,
                      has_bias)
        if want_loss:
            loss = loss_241(sums[0], count, mse)
    else:
        for e in range(epochs + 1 if want_loss else epochs):  # the last pass only measures the final loss
            g = epoch_241(sums, p, losses, Xt, Yt, mask, n_padded, chunk, lr, count, scale, mse, record_every,
                          has_bias, threaded)
            loss = loss_241(g, count, mse)
            if e == epochs:
                break
            p = record_update_241(p, g, losses, e, lr, count, mse, record_every, has_bias)
        if not want_loss:
            loss = np.nan
    w1[0, 0], w1[0, 1], w1[0, 2], w1[0, 3], w1[1, 0], w1[1, 1], w1[1, 2], w1[1, 3] = p[:8]
    w2[0, 0], w2[1, 0], w2[2, 0], w2[3, 0] = p[12:16]
    if has_bias:
        b1[0], b1[1], b1[2], b1[3], b2[0] = p[8], p[9], p[10], p[11], p[16]
    return loss


@njit(fastmath=FLAGS, error_model="numpy", cache=True, nogil=True)  # see "The GIL" at the top
def train_241(w1, b1, w2, b2, losses, Xt, Yt, mask, epochs, lr, mse, record_every, has_bias, want_loss):
    """2-4-1 on one thread. Four samples get a loop of exactly four, which LLVM vectorizes four wide whatever
    the CPU (with an unknown count, 512-bit code on Zen 4 leaves four samples to the scalar remainder)."""
    if Xt.shape[1] == 4:
        return body_241(w1, b1, w2, b2, losses, Xt, Yt, mask, epochs, lr, mse, record_every, has_bias, want_loss, 4,
                        False)
    return body_241(w1, b1, w2, b2, losses, Xt, Yt, mask, epochs, lr, mse, record_every, has_bias, want_loss,
                    Xt.shape[1], False)


@njit(fastmath=FLAGS, error_model="numpy", parallel=True, cache=True)
def train_241_threaded(w1, b1, w2, b2, losses, Xt, Yt, mask, epochs, lr, mse, record_every, has_bias,
                       want_loss):
    """2-4-1 with threads over chunks: the same chunks, sums and bits as train_241."""
    return body_241(w1, b1, w2, b2, losses, Xt, Yt, mask, epochs, lr, mse, record_every, has_bias, want_loss,
                    Xt.shape[1], True)


@njit(fastmath=FLAGS, error_model="numpy", cache=True, nogil=True)  # see "The GIL" at the top
def predict(out_t, Xt, w1, b1, w2, b2, has_bias):
    """out_t (n_out, N) from Xt (n_in, N): the same two layers as training, over every sample at once."""
    hidden = np.empty((w1.shape[1], Xt.shape[1]))
    layer(hidden, Xt, 0, Xt.shape[1], w1, b1, has_bias)
    layer(out_t, hidden, 0, Xt.shape[1], w2, b2, has_bias)


_NO_BIAS = np.zeros(0)


def columns(X, Y):
    """Xt (n_in, Np), Yt (n_out, Np) and mask (Np,): the samples as columns, padded with zero-weight ones."""
    n = X.shape[0]
    n_padded = 4 if n <= 4 else -(-n // LANES) * LANES
    Xt = np.zeros((X.shape[1], n_padded))
    Xt[:, :n] = X.T
    Yt = np.zeros((Y.shape[1], n_padded))
    Yt[:, :n] = Y.T
    mask = np.zeros(n_padded)
    mask[:n] = 1.0
    return Xt, Yt, mask


def rows(X, Y):
    """X (Ne, n_in), Y (Ne, n_out) and mask (Ne,) for train_units: the samples as given, with one zero-weight row
    after an odd batch, so that samples go two by two."""
    n = X.shape[0]
    n_even = n + n % 2
    Xe = np.zeros((n_even, X.shape[1]))
    Xe[:n] = X
    Ye = np.zeros((n_even, Y.shape[1]))
    Ye[:n] = Y
    mask = np.zeros(n_even)
    mask[:n] = 1.0
    return Xe, Ye, mask


class NumbaFastBackend(Backend):
    name = "numba-fast"
    equivalence = "fast"
    description = (f"Numba, a layer at a time over blocks of {BLOCK} samples (2-4-1: one fused loop over "
                   f"samples, four side by side; wide layers and small batches: two samples at a time, vectorized "
                   f"across units): fastmath, own vector exp, prange over blocks (2-4-1: chunks of "
                   f"up to {CHUNK}, two or more) for N >= {PARALLEL_MIN}")
    difference = ("vectorized reductions and blocks reorder the sums, fastmath contracts to FMA and "
                  "reassociates, and its own exp is <= 3 ULP from libm's")
    compile_cache = True
    fma = "yes"
    simd = "LLVM loop-vectorized across samples (host ISA)"
    exp = "own vectorizable (Cody-Waite + degree-11 polynomial)"
    fastmath = ", ".join(sorted(FLAGS))
    gil = f"released (held by its threaded calls, N >= {PARALLEL_MIN}: see \"The GIL\" in the module)"
    max_threads = 0

    def _prepare(self, job):
        """Every argument but the epochs and the loss history prepared once for a trainer's many calls: the
        samples as padded columns (rows, for train_units), and the function for the shape and the thread
        count."""
        has_bias = job.b1 is not None
        b1 = job.b1 if has_bias else _NO_BIAS
        b2 = job.b2 if has_bias else _NO_BIAS
        w1, w2, lr, mse = job.w1, job.w2, job.lr, job.loss == "mse"
        shape_241 = w1.shape == (2, 4) and w2.shape == (4, 1)
        if not shape_241 and units_innermost(job.X.shape[0], w1.shape[1]):
            X, Y, mask = rows(job.X, job.Y)

            def run_units(epochs, record_every, losses, want_loss=True):
                return train_units(w1, b1, w2, b2, losses, X, Y, mask, epochs, lr, mse, record_every, has_bias,
                                   want_loss)

            return run_units
        Xt, Yt, mask = columns(job.X, job.Y)
        threads = self.threads_for(job.X.shape[0])
        if threads == 1:  # a small batch, max_threads = 1, or a process forked after threads ran: the same bits
            train = train_241 if shape_241 else train_serial

            def run(epochs, record_every, losses, want_loss=True):
                return train(w1, b1, w2, b2, losses, Xt, Yt, mask, epochs, lr, mse, record_every, has_bias, want_loss)

            return run
        train = train_241_threaded if shape_241 else train_threaded
        threads = min(threads or numba.config.NUMBA_NUM_THREADS, numba.config.NUMBA_NUM_THREADS)

        def run_threaded(epochs, record_every, losses, want_loss=True):
            caller_threads = numba.get_num_threads()
            numba.set_num_threads(threads)
            try:
                return train(w1, b1, w2, b2, losses, Xt, Yt, mask, epochs, lr, mse, record_every, has_bias,
                             want_loss)
            finally:
                numba.set_num_threads(caller_threads)  # the caller's own setting, untouched

        return run_threaded

    def _predict(self, job, out):
        w1, b1, w2, b2, X = job.w1, job.b1, job.w2, job.b2, job.X
        has_bias = b1 is not None
        out_t = np.empty((w2.shape[1], X.shape[0]))
        predict(out_t, np.ascontiguousarray(X.T), w1, b1 if has_bias else _NO_BIAS, w2, b2 if has_bias else _NO_BIAS,
                has_bias)
        out[...] = out_t.T

    def threads(self):
        return (f"up to {numba.config.NUMBA_NUM_THREADS} (numba prange, "
                f"{numba.threading_layer() if _threads_started() else 'layer chosen on first use'}) "
                f"for N >= {PARALLEL_MIN}")

    def build_info(self):
        import llvmlite
        return {"numba": numba.__version__, "llvmlite": llvmlite.__version__}


def _threads_started():
    try:
        numba.threading_layer()
        return True
    except ValueError:
        return False
