// The GPU log importer's fast path: a row parsed from its bytes, with exactly the result of `parseGpuLine` on its
// text, or null for anything unusual (the caller then decodes the line and takes the exact path, errors included).
import { NUMERIC_FIELDS, type GpuLayout, type GpuRow, type NumericField } from './gpu-csv.js';
import { parseLogTimestamp } from './timestamps.js';

const COMMA = 0x2c;
const SP = 0x20;
const TAB = 0x09;
const DOT = 0x2e;
const D0 = 0x30;
/** Powers of ten that doubles hold exactly: int / 10^k is then correctly rounded, as parseFloat's result is. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** parseCell's unit suffixes, as bytes. */
const UNITS = ['W', 'mW', 'MiB', 'KiB', 'GiB', '%', 'MHz', 'C', 'us', 'ms', 's', 'J'].map((u) => Buffer.from(u));

/** bytes[0..n) equals buf[s..s+n) (a loop: Buffer.compare's argument checks cost more than these few bytes). */
function same(bytes: Buffer, buf: Buffer, s: number, n: number): boolean {
  if (bytes.length !== n) return false;
  for (let k = 0; k < n; k++) if (bytes[k] !== buf[s + k]) return false;
  return true;
}

const NONE = Buffer.from('None');

type Kind = { k: 'ts' } | { k: 'name' } | { k: 'uuid' } | { k: 'num'; f: NumericField } | { k: 'skip' };

/** A text cell decoded once and reused while the bytes repeat (a log names the same GPU on every row). */
class CellCache {
  private bytes = Buffer.alloc(0);
  private text = '';
  get(buf: Buffer, s: number, e: number): string {
    if (!same(this.bytes, buf, s, e - s)) {
      this.bytes = Buffer.from(buf.subarray(s, e));
      this.text = this.bytes.toString('utf8').trim();
    }
    return this.text;
  }
}

const isSpecial = (buf: Buffer, s: number, e: number): boolean =>
  e === s || (buf[s] === 0x5b && buf[e - 1] === 0x5d) || (e - s === 3 && buf[s] === 0x4e && buf[s + 1] === 0x2f && buf[s + 2] === 0x41)
  || (e - s === 4 && same(NONE, buf, s, 4));

function unitAt(buf: Buffer, s: number, e: number): boolean {
  for (const u of UNITS) if (same(u, buf, s, e - s)) return true;
  return false;
}

/** A plain decimal with an optional unit (what parseCell accepts, less exponents); NaN to fall back. */
function number(buf: Buffer, s: number, e: number): number {
  let k = s;
  let neg = false;
  if (buf[k] === 0x2d || buf[k] === 0x2b) neg = buf[k++] === 0x2d;
  let int = 0;
  let digits = 0;
  let frac = 0;
  let c = buf[k]!;
  for (; k < e && c >= D0 && c <= D0 + 9; c = buf[++k]!) {
    int = int * 10 + (c - D0);
    digits++;
  }
  const intDigits = digits;
  if (k < e && c === DOT) {
    for (c = buf[++k]!; k < e && c >= D0 && c <= D0 + 9; c = buf[++k]!) {
      int = int * 10 + (c - D0);
      digits++;
      frac++;
    }
  }
  if (digits === 0 || digits > 15 || (intDigits === 0 && frac === 0)) return NaN;
  if (k < e) {
    let u = k;
    while (u < e && (buf[u] === SP || buf[u] === TAB)) u++;
    if (!unitAt(buf, u, e)) return NaN;
  }
  const v = frac === 0 ? int : int / POW10[frac]!;
  return neg ? -v : v;
}

const digit = (buf: Buffer, k: number): number => {
  const c = buf[k]! - D0;
  return c >= 0 && c <= 9 ? c : NaN;
};
const two = (buf: Buffer, k: number): number => digit(buf, k) * 10 + digit(buf, k + 1);

/** Parses rows of one layout from bytes; keeps the last minute's local start and the repeated text cells. */
export class FastGpuRows {
  private readonly kinds: Kind[];
  private minuteKey = -1;
  private minuteBase = 0;
  private readonly names = new CellCache();
  private readonly uuids = new CellCache();

  constructor(layout: GpuLayout) {
    this.kinds = layout.fields.map((f): Kind => {
      if (f === 'timestamp') return { k: 'ts' };
      if (f === 'name') return { k: 'name' };
      if (f === 'uuid') return { k: 'uuid' };
      return (NUMERIC_FIELDS as readonly string[]).includes(f) ? { k: 'num', f: f as NumericField } : { k: 'skip' };
    });
  }

  /** `YYYY[-/]MM[-/]DD[ T]HH:MM:SS[.fff…]` → epoch ms through the minute cache; NaN to fall back. */
  private time(buf: Buffer, s: number, e: number): number {
    if (e - s < 19) return NaN;
    const y = two(buf, s) * 100 + two(buf, s + 2);
    const key = ((y * 100 + two(buf, s + 5)) * 100 + two(buf, s + 8)) * 10000 + two(buf, s + 11) * 100 + two(buf, s + 14);
    const sec = two(buf, s + 17);
    const dateSep = (c: number | undefined): boolean => c === 0x2d || c === 0x2f;
    if (!(key >= 0) || !(sec <= 59) || buf[s + 13] !== 0x3a || buf[s + 16] !== 0x3a) return NaN;
    if (!dateSep(buf[s + 4]) || !dateSep(buf[s + 7]) || (buf[s + 10] !== SP && buf[s + 10] !== 0x54)) return NaN;
    let ms = 0;
    if (e - s > 19) {
      if (buf[s + 19] !== DOT || e - s === 20) return NaN;
      for (let k = s + 20; k < e; k++) {
        const d = digit(buf, k);
        if (Number.isNaN(d)) return NaN;
        if (k < s + 23) ms = ms * 10 + d;
      }
      for (let k = Math.min(e, s + 23); k < s + 23; k++) ms *= 10;
    }
    if (key !== this.minuteKey) {
      const t = parseLogTimestamp(buf.toString('latin1', s, e)); // validates separators, ranges, the day itself
      if (t === null) return NaN;
      this.minuteKey = key;
      this.minuteBase = t - sec * 1000 - ms;
    }
    return this.minuteBase + sec * 1000 + ms;
  }

  /** The row of bytes [s, e), or null when it needs the exact path. */
  parse(buf: Buffer, s: number, e: number): GpuRow | null {
    const values = {} as Record<NumericField, number | null>;
    for (const f of NUMERIC_FIELDS) values[f] = null;
    let t = NaN;
    let name: string | null = null;
    let uuid: string | null = null;
    let col = 0;
    for (let a = s; ; col++) {
      const comma = buf.indexOf(COMMA, a);
      const stop = comma < 0 || comma > e ? e : comma;
      let cs = a;
      let ce = stop;
      while (cs < ce && (buf[cs] === SP || buf[cs] === TAB)) cs++;
      while (ce > cs && (buf[ce - 1] === SP || buf[ce - 1] === TAB)) ce--;
      const kind = this.kinds[col];
      if (kind === undefined) return null; // more columns than the layout: the exact path words the error
      if (kind.k === 'num') {
        if (!isSpecial(buf, cs, ce)) {
          const v = number(buf, cs, ce);
          if (Number.isNaN(v)) return null;
          values[kind.f] = v;
        }
      } else if (kind.k === 'ts') {
        t = this.time(buf, cs, ce);
        if (Number.isNaN(t)) return null;
      } else if (kind.k === 'name') {
        name = isSpecial(buf, cs, ce) ? null : this.names.get(buf, cs, ce);
      } else if (kind.k === 'uuid') {
        uuid = isSpecial(buf, cs, ce) ? null : this.uuids.get(buf, cs, ce);
      }
      if (stop === e) break;
      a = stop + 1;
    }
    if (col + 1 !== this.kinds.length || Number.isNaN(t)) return null;
    return { t, uuid, name, values };
  }
}
