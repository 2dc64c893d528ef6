// Bytes to floats ÷ 255 (src/data/pixels-wasm.ts drives it): what a streamed IDX file's reading
// thread does to each batch. 16 bytes at a time, widened to four f32x4 and divided by 255: an f32
// division rounds once, to the f32 nearest b / 255, the value Math.fround(b / 255) gives (f64 has
// more than twice f32's digits, so rounding through it cannot differ), which the tests check for
// all 256 bytes.

/** First byte the host may use: everything below is this module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

/** Writes bytes[src, src + count) ÷ 255 to the f32 at dst. */
export function scalePixels(src: usize, dst: usize, count: i32): void {
  const d = f32x4.splat(255);
  let i = 0;
  for (; i + 16 <= count; i += 16) {
    const v = v128.load(src + i);
    const lo = i16x8.extend_low_i8x16_u(v);
    const hi = i16x8.extend_high_i8x16_u(v);
    const o = dst + (<usize>i << 2);
    v128.store(o, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(lo)), d));
    v128.store(o + 16, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(lo)), d));
    v128.store(o + 32, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(hi)), d));
    v128.store(o + 48, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(hi)), d));
  }
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), <f32>load<u8>(src + i) / 255);
}

/**
 * Writes the rows of `n` bytes at slab + slots[k] × n, for k < count, ÷ 255, one after another as
 * f32 at dst: a batch gathered from the shuffle buffer and scaled in one call.
 */
export function gatherScale(slab: usize, n: i32, slots: usize, count: i32, dst: usize): void {
  for (let k = 0; k < count; k++) {
    const s = <usize>load<i32>(slots + (<usize>k << 2));
    scalePixels(slab + s * <usize>n, dst + ((<usize>k * <usize>n) << 2), n);
  }
}
