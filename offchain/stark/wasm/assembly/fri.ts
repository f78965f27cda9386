/** FRI folding of opened cosets (fri.ts foldRow). */
import { P, addMod, montMul, subMod, toMont } from "./field";
import { BLOCK } from "./memory";
import { extMulMont } from "./points";
import { f } from "./quotient";

/**
 * fri.ts foldRow on `count` rows of f extension values (4f standard-form words each, at `rows`, overwritten): row r
 * folds at β (4 standard words at `beta`) with x^(−1) = xInvs[r] into one extension value at out + 16·r (standard
 * form). `wInv` is ω_f^(−1). Constants are kept in Montgomery form, so each product of a value by one is standard.
 */
export function foldRows(rows: usize, count: u32, f: u32, beta: usize, xInvs: usize, wInv: u32, out: usize): void {
  const half2 = toMont((P + 1) >> 1);
  const b = BLOCK; // β^(2^round), Montgomery form, 4 words; BLOCK + 16: the square
  for (let r: u32 = 0; r < count; r++) {
    const v = rows + ((<usize>(r * 4 * f)) << 2);
    for (let k: usize = 0; k < 4; k++) store<u32>(b + (k << 2), toMont(load<u32>(beta + (k << 2))));
    let wInvM = toMont(wInv);
    let y0InvM = toMont(load<u32>(xInvs + ((<usize>r) << 2)));
    let n = f;
    while (n > 1) {
      const half = n >> 1;
      const b0 = load<u32>(b);
      const b1 = load<u32>(b, 4);
      const b2 = load<u32>(b, 8);
      const b3 = load<u32>(b, 12);
      let yInvM = y0InvM;
      for (let k: u32 = 0; k < half; k++) {
        const u = v + ((<usize>(4 * k)) << 2);
        const w = v + ((<usize>(4 * (k + half))) << 2);
        const hy = montMul(half2, yInvM);
        const u0 = load<u32>(u);
        const u1 = load<u32>(u, 4);
        const u2 = load<u32>(u, 8);
        const u3 = load<u32>(u, 12);
        const w0 = load<u32>(w);
        const w1 = load<u32>(w, 4);
        const w2 = load<u32>(w, 8);
        const w3 = load<u32>(w, 12);
        const e0 = montMul(addMod(u0, w0), half2);
        const e1 = montMul(addMod(u1, w1), half2);
        const e2 = montMul(addMod(u2, w2), half2);
        const e3 = montMul(addMod(u3, w3), half2);
        const o0 = montMul(subMod(u0, w0), hy);
        const o1 = montMul(subMod(u1, w1), hy);
        const o2 = montMul(subMod(u2, w2), hy);
        const o3 = montMul(subMod(u3, w3), hy);
        const t0 = addMod(addMod(montMul(b1, o3), montMul(b2, o2)), montMul(b3, o1));
        const t1 = addMod(montMul(b2, o3), montMul(b3, o2));
        const t2 = montMul(b3, o3);
        store<u32>(u, addMod(addMod(e0, montMul(b0, o0)), addMod(t0, addMod(t0, t0))));
        store<u32>(u, addMod(addMod(e1, montMul(b0, o1)), addMod(montMul(b1, o0), addMod(t1, addMod(t1, t1)))), 4);
        store<u32>(
          u,
          addMod(
            addMod(e2, montMul(b0, o2)),
            addMod(addMod(montMul(b1, o1), montMul(b2, o0)), addMod(t2, addMod(t2, t2))),
          ),
          8,
        );
        store<u32>(
          u,
          addMod(addMod(e3, montMul(b0, o3)), addMod(addMod(montMul(b1, o2), montMul(b2, o1)), montMul(b3, o0))),
          12,
        );
        yInvM = montMul(yInvM, wInvM);
      }
      extMulMont(b, b, b + 16);
      copy16(b, b + 16);
      wInvM = montMul(wInvM, wInvM);
      y0InvM = montMul(y0InvM, y0InvM);
      n = half;
    }
    v128.store(out + ((<usize>r) << 4), v128.load(v));
  }
}

export function copy16(dst: usize, src: usize): void {
  v128.store(dst, v128.load(src));
}
