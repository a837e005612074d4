// JavaScript's number conversions, for the WebAssembly modules that must give exactly what the
// JavaScript they replaced gave (a plain <i32> conversion of a double traps out of range).

/** ToInt32 of JavaScript: what `x | 0` and `x & y` do to a double. */
// @ts-ignore: decorator
@inline
export function toInt32(x: f64): i32 {
  if (x >= -2147483648.0 && x < 2147483648.0) return <i32>x;
  if (!isFinite(x)) return 0;
  return <i32><i64>(x % 4294967296.0);
}
