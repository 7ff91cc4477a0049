// Units for people: W, J/kJ/MJ/GJ with kWh, durations, times; and a tiny DOM builder that never parses HTML.
export const J_PER_KWH = 3.6e6;

export function fmtJ(j) {
  if (j === null || j === undefined || !Number.isFinite(j)) return '—';
  const a = Math.abs(j);
  if (a >= 1e9) return `${(j / 1e9).toFixed(2)} GJ`;
  if (a >= 1e6) return `${(j / 1e6).toFixed(2)} MJ`;
  if (a >= 1e3) return `${(j / 1e3).toFixed(2)} kJ`;
  return `${j.toFixed(1)} J`;
}

export function fmtKWh(j) {
  if (j === null || j === undefined || !Number.isFinite(j)) return '—';
  const k = j / J_PER_KWH;
  return `${k >= 100 ? k.toFixed(0) : k >= 1 ? k.toFixed(2) : k.toPrecision(2)} kWh`;
}

/** "1.23 MJ · 0.34 kWh" */
export const fmtEnergy = (j) => (Number.isFinite(j) ? `${fmtJ(j)} · ${fmtKWh(j)}` : '—');

export const fmtW = (w) => (w === null || w === undefined || !Number.isFinite(w) ? '—' : `${w.toFixed(w >= 100 ? 0 : 1)} W`);

export function fmtDuration(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  if (s < 60) return `${s.toFixed(1)} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.round(s % 60);
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(sec).padStart(2, '0')} s`;
}

export const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

/** A projection's primary figure: the epoch-energy method (the more accurate one), else the power-based one. */
export function primary(p) {
  if (!p) return null;
  if (p.epochEnergyBasedJ !== null) return { method: 'epoch-energy', j: p.epochEnergyBasedJ, band: p.bands?.epochEnergyBasedJ ?? null };
  if (p.powerBasedJ !== null) return { method: 'power-based', j: p.powerBasedJ, band: p.bands?.powerBasedJ ?? null };
  return null;
}

/** "1.23 MJ ± 0.04 MJ" or the figure alone when there is no band. */
export function fmtBand(j, band) {
  if (!band || !(band[1] > band[0])) return fmtJ(j);
  return `${fmtJ(j)} (95 %: ${fmtJ(band[0])} – ${fmtJ(band[1])})`;
}

/** h('a', { href }, 'text', child…): elements from data, text always as text. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export const statusBadge = (status) => h('span', { class: `badge status-${status}` }, status);

export const runTitle = (r) => r.name || r.command.join(' ').slice(0, 60) || r.id;
