// Float32 math four lanes at a time: e^x, the sigmoid, and flushing of subnormal results. The
// native backend computes e^x with the same polynomial (native/sigmoid.h), so both give the same
// activations.

import { madd } from "./lanes";

const LOG2E: f32 = 1.4426950408889634;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
/** 1.5 · 2^23: a float in [2^23, 2^24) has no fraction bits, so adding it rounds to an integer. */
const ROUNDER: f32 = 12582912;
const ROUNDER_BITS: i32 = 0x4b400000;

/**
 * e^x for four lanes: x = n·ln2 + r with |r| ≤ ln2/2, e^r by its degree-6 Taylor polynomial
 * (relative error < 2e-7 on that interval), 2^n built in the exponent bits. x is clamped to
 * [-87.3, 88.3] so that 2^n stays a normal float.
 */
@inline
export function exp4(x: v128): v128 {
  // pmin/pmax are one instruction each (minps/maxps); min/max take several for their NaN and
  // signed-zero rules. A NaN x stays NaN: it is the first operand.
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-87.3)), f32x4.splat(88.3));
  // n = round(x · log2 e) by adding 1.5 · 2^23, whose float holds n in its low mantissa bits:
  // the bits give 2^n below without a float-to-int conversion (several instructions in V8).
  const t = madd(x, f32x4.splat(LOG2E), f32x4.splat(ROUNDER));
  const n = f32x4.sub(t, f32x4.splat(ROUNDER));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.0 / 720.0);
  p = madd(p, r, f32x4.splat(1.0 / 120.0));
  p = madd(p, r, f32x4.splat(1.0 / 24.0));
  p = madd(p, r, f32x4.splat(1.0 / 6.0));
  p = madd(p, r, f32x4.splat(0.5));
  p = madd(p, r, f32x4.splat(1.0));
  p = madd(p, r, f32x4.splat(1.0));
  const scale = i32x4.shl(i32x4.add(t, i32x4.splat(127 - ROUNDER_BITS)), 23);
  return f32x4.mul(p, scale);
}

/** The smallest normal float, 2^-126. */
const FLT_MIN: f32 = 1.17549435e-38;

/**
 * v with every lane below the smallest normal float in magnitude set to 0 (NaN stays NaN).
 * Subnormal operands make Intel's cores multiply through a microcode assist, so that a product
 * of saturated activations or deltas runs many times slower; results this small are zeros to
 * every sum they enter.
 */
@inline
export function flush4(v: v128): v128 {
  return v128.andnot(v, f32x4.lt(f32x4.abs(v), f32x4.splat(FLT_MIN)));
}

@inline
export function flush1(v: f32): f32 {
  return abs<f32>(v) < FLT_MIN ? 0 : v;
}

/**
 * σ(z) = 1 / (1 + e^−z) for four lanes. Below z = −87 the quotient would be subnormal, and
 * dividing into a subnormal costs a microcode assist on Intel's cores (the sigmoids of one
 * saturated first-autoencoder evaluation: 132 ms against 82, bench:profile --scale 20): those
 * lanes divide by e^87 instead, σ(−87) ≈ 1.6e-38 is still normal, and then they are set to 0, as
 * flush4 would set the true σ(z) < 1.2e-38 of z below about −87.3.
 */
@inline
export function sigmoid4(z: v128): v128 {
  const one = f32x4.splat(1);
  const low = f32x4.splat(-87);
  const q = f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(f32x4.pmax(z, low)))));
  return v128.andnot(q, f32x4.lt(z, low));
}

@inline
export function sigmoid1(z: f32): f32 {
  return f32x4.extract_lane(sigmoid4(f32x4.splat(z)), 0);
}
