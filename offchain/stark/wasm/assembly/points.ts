/** Evaluation of base-field polynomials at extension points (poly.ts evalBaseAtPoints). */
import { R_MOD_P, addMod, addMod4, montMul, montMul4, toMont } from "./field";
import { BLOCK } from "./memory";

/** a·b in F_p[X]/(X^4 − 3) on Montgomery-form coordinates (4 words each at a, b; out may not alias them). */
export function extMulMont(a: usize, b: usize, out: usize): void {
  const a0 = load<u32>(a);
  const a1 = load<u32>(a, 4);
  const a2 = load<u32>(a, 8);
  const a3 = load<u32>(a, 12);
  const b0 = load<u32>(b);
  const b1 = load<u32>(b, 4);
  const b2 = load<u32>(b, 8);
  const b3 = load<u32>(b, 12);
  const w0 = addMod(addMod(montMul(a1, b3), montMul(a2, b2)), montMul(a3, b1));
  const w1 = addMod(montMul(a2, b3), montMul(a3, b2));
  const w2 = montMul(a3, b3);
  store<u32>(out, addMod(montMul(a0, b0), addMod(w0, addMod(w0, w0))));
  store<u32>(out, addMod(addMod(montMul(a0, b1), montMul(a1, b0)), addMod(w1, addMod(w1, w1))), 4);
  store<u32>(
    out,
    addMod(addMod(addMod(montMul(a0, b2), montMul(a1, b1)), montMul(a2, b0)), addMod(w2, addMod(w2, w2))),
    8,
  );
  store<u32>(out, addMod(addMod(montMul(a0, b3), montMul(a1, b2)), addMod(montMul(a2, b1), montMul(a3, b0))), 12);
}

/**
 * Evaluates `count` base polynomials of `len` coefficients (polynomial c at polys + 4·len·c) at `numPoints` extension
 * points (4 standard-form words each at `points`): Σ_i c_i·x^i, one extension value (4 words, standard form) per point
 * and polynomial at out + 16·(point·count + c). `pows` takes 4·len words (the powers of one point, Montgomery form).
 */
export function evalAtPoints(
  polys: usize,
  len: u32,
  count: u32,
  points: usize,
  numPoints: u32,
  pows: usize,
  out: usize,
): void {
  for (let p: u32 = 0; p < numPoints; p++) {
    // x^0 = 1, x^1 = x, x^(i+1) = x^i·x (Montgomery form)
    const x = BLOCK; // 4 words of scratch
    for (let k: usize = 0; k < 4; k++)
      store<u32>(x + (k << 2), toMont(load<u32>(points + ((<usize>p) << 4) + (k << 2))));
    if (len > 0) {
      store<u32>(pows, R_MOD_P);
      store<u32>(pows, 0, 4);
      store<u32>(pows, 0, 8);
      store<u32>(pows, 0, 12);
    }
    for (let i: u32 = 1; i < len; i++) extMulMont(pows + ((<usize>(i - 1)) << 4), x, pows + ((<usize>i) << 4));
    for (let c: u32 = 0; c < count; c++) {
      const src = polys + ((<usize>(c * len)) << 2);
      let acc = i32x4.splat(0);
      for (let i: u32 = 0; i < len; i++) {
        acc = addMod4(acc, montMul4(v128.load32_splat(src + ((<usize>i) << 2)), v128.load(pows + ((<usize>i) << 4))));
      }
      v128.store(out + ((<usize>(p * count + c)) << 4), acc);
    }
  }
}
