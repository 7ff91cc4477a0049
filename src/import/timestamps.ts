import { parseNvidiaTimestamp } from '../samplers/nvidia-smi-parse.js';

const ANY_TS_RE = /^(\d{4})[-/](\d{2})[-/](\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/;

/**
 * Local-time timestamps of the logs we import → epoch ms: nvidia-smi `2023/03/08 17:03:51.380`, the study's renamed
 * `2022-12-05 15:00:16.247`, psutil/Python `2022-12-05T15:00:18.317879` and `2023-05-10 12:34:56` (no fraction).
 * Sub-millisecond digits are truncated (the store keeps ms). Null when malformed or outside 2000–2099.
 */
export function parseLogTimestamp(text: string): number | null {
  const m = ANY_TS_RE.exec(text.trim());
  // No GPU log predates 2000 (year 0000 would also make a negative run id); nor is one from the next century.
  if (!m || Number(m[1]) < 2000 || Number(m[1]) > 2099) return null;
  const hms = m[4] as string;
  const sec = Number(hms.slice(6, 8));
  if (sec > 59) return null;
  // Logs repeat the same minute many times: resolve its local start once (zone shifts happen on whole minutes).
  const key = `${m[1]}${m[2]}${m[3]}${hms.slice(0, 5)}`;
  let base = minuteCache.get(key);
  if (base === undefined) {
    base = parseNvidiaTimestamp(`${m[1]}/${m[2]}/${m[3]} ${hms.slice(0, 5)}:00`);
    if (minuteCache.size > 1000) minuteCache.clear();
    minuteCache.set(key, base);
  }
  if (base === null) return null;
  return base + sec * 1000 + (m[5] ? Number(m[5].slice(0, 3).padEnd(3, '0')) : 0);
}

const minuteCache = new Map<string, number | null>();

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Epoch ms → local `YYYY-MM-DD HH:MM:SS.mmm` (sep between date and time configurable), the study's CSV form. */
export function formatLocal(ms: number, sep = ' ', fracDigits = 3): string {
  const d = new Date(ms);
  const frac = pad(d.getMilliseconds(), 3).padEnd(fracDigits, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}${sep}` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${frac}`
  );
}
