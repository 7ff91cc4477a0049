// uPlot charts of the dashboard: a theme from the page's CSS, epoch and stabilization markers, bands, bars, resizing.
/* global uPlot */
import { fmtJ, fmtW } from './format.js';

export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#9c755f'];

function theme() {
  const css = getComputedStyle(document.documentElement);
  const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return { fg: v('--fg', '#222'), muted: v('--muted', '#777'), grid: v('--grid', '#ddd'), accent: v('--accent', '#d62728'),
    band: v('--band', 'rgba(78,121,167,0.2)') };
}

/** An energy axis in one unit chosen from the largest tick (J, kJ, MJ, GJ). */
function energyTicks(_u, vals) {
  const max = Math.max(...vals.map((v) => Math.abs(v ?? 0)));
  const [div, unit] = max >= 1e9 ? [1e9, 'GJ'] : max >= 1e6 ? [1e6, 'MJ'] : max >= 1e3 ? [1e3, 'kJ'] : [1, 'J'];
  return vals.map((v) => (v === null ? '' : `${+(v / div).toFixed(2)} ${unit}`));
}

const wattTicks = (_u, vals) => vals.map((v) => (v === null ? '' : `${+v.toFixed(1)} W`));

function axes(t, yValues, y2) {
  const ax = (extra) => ({ stroke: t.muted, grid: { stroke: t.grid, width: 1 }, ticks: { stroke: t.grid, width: 1 }, ...extra });
  const list = [ax({}), ax({ values: yValues, size: 70 })];
  if (y2) list.push(ax({ scale: y2.scale, side: 1, values: y2.values, size: 70, grid: { show: false } }));
  return list;
}

/**
 * Vertical lines at given x positions (seconds): dashed for epoch starts, solid accent for the stabilization point.
 * `marks()` is read on every draw, so live updates only need a redraw.
 */
function markersPlugin(marks, t) {
  return {
    hooks: {
      draw: [(u) => {
        const { epochs = [], stable = null } = marks();
        const ctx = u.ctx;
        const { top, height } = u.bbox;
        const line = (x, color, dash, width) => {
          const px = Math.round(u.valToPos(x, 'x', true));
          if (px < u.bbox.left || px > u.bbox.left + u.bbox.width) return;
          ctx.save();
          ctx.strokeStyle = color;
          ctx.lineWidth = width;
          ctx.setLineDash(dash);
          ctx.beginPath();
          ctx.moveTo(px, top);
          ctx.lineTo(px, top + height);
          ctx.stroke();
          ctx.restore();
        };
        for (const x of epochs) line(x, t.muted, [4, 4], 1);
        if (stable !== null) {
          line(stable, t.accent, [], 2 * devicePixelRatio);
          ctx.save();
          ctx.fillStyle = t.accent;
          ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
          ctx.fillText('stable', Math.round(u.valToPos(stable, 'x', true)) + 4 * devicePixelRatio, top + 14 * devicePixelRatio);
          ctx.restore();
        }
      }],
    },
  };
}

/** Keeps the chart as wide as its container (the container's height is fixed in CSS: no layout jank). */
function mount(el, opts, data) {
  const u = new uPlot({ ...opts, width: Math.max(300, el.clientWidth), height: opts.height }, data, el);
  new ResizeObserver(() => {
    const w = Math.max(300, el.clientWidth);
    if (w !== u.width) u.setSize({ width: w, height: opts.height });
  }).observe(el);
  return u;
}

/** Power over time, one series per label; marks() gives the epoch starts and stabilization point (seconds). */
export function powerChart(el, labels, data, marks, span) {
  const t = theme();
  const series = [{}, ...labels.map((label, i) => ({
    label, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: true, value: (_u, v) => fmtW(v),
  }))];
  return mount(el, {
    height: 280, series, axes: axes(t, wattTicks), scales: { x: { time: true, range: spanRange(span) } },
    legend: { live: true }, cursor: { drag: { x: true, y: false } }, plugins: [markersPlugin(marks, t)],
  }, data);
}

/** An x range from span() (the run's interval, seconds) so charts of one run line up and one point is not a year wide. */
const spanRange = (span) => (_u, min, max) => {
  const s = span?.();
  if (s && s[1] > s[0]) return s;
  return min === max ? [min - 30, max + 30] : [min, max];
};

/** Projected total over time: each method's figure and the primary method's 95 % band, the measured total, the budget. */
export function projectionChart(el, data, span) {
  const t = theme();
  const fmt = (_u, v) => fmtJ(v);
  return mount(el, {
    height: 220, scales: { x: { time: true, range: spanRange(span) } }, axes: axes(t, energyTicks),
    series: [
      {},
      { label: 'epoch-energy projection', stroke: PALETTE[0], width: 2, spanGaps: true, value: fmt },
      { label: '95 % low', stroke: t.band, width: 1, spanGaps: true, value: fmt },
      { label: '95 % high', stroke: t.band, width: 1, spanGaps: true, value: fmt },
      { label: 'power-based projection', stroke: PALETTE[1], width: 1.5, dash: [6, 4], spanGaps: true, value: fmt },
      { label: 'measured so far', stroke: t.fg, width: 1, spanGaps: true, value: fmt },
      ...(data.length > 6 ? [{ label: 'budget', stroke: '#d62728', width: 1.5, dash: [2, 3], spanGaps: true, value: fmt }] : []),
    ],
    bands: [{ series: [3, 2], fill: t.band }],
  }, data);
}

/** Per-epoch energy as bars (left axis) and mean power as a line (right axis); x is the epoch number. */
export function epochChart(el, data) {
  const t = theme();
  return mount(el, {
    // Half an epoch of room on each side, so the first and last bars are drawn whole.
    height: 220, scales: { x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] }, w: {} },
    axes: [{ stroke: t.muted, grid: { show: false }, values: (_u, vals) => vals.map((v) => (Number.isInteger(v) ? String(v) : '')) },
      ...axes(t, energyTicks, { scale: 'w', values: wattTicks }).slice(1)],
    series: [
      { label: 'epoch', value: (_u, v) => (v === null ? '—' : String(v)) },
      { label: 'energy', stroke: PALETTE[0], fill: `${PALETTE[0]}99`, paths: uPlot.paths.bars({ size: [0.6, 60] }), points: { show: false },
        value: (_u, v) => fmtJ(v) },
      { label: 'mean power', scale: 'w', stroke: PALETTE[1], width: 2, value: (_u, v) => fmtW(v) },
    ],
  }, data);
}

/** Several runs on one x axis of their own (seconds since each run started, or epoch numbers). */
export function overlayChart(el, labels, data, { x = 'time', y = 'power', height = 260 } = {}) {
  const t = theme();
  const xValues = x === 'epoch' ? (_u, vals) => vals.map((v) => (Number.isInteger(v) ? String(v) : ''))
    : (u, vals) => vals.map((v) => (u.scales.x.max - u.scales.x.min < 300 ? `${+v.toFixed(1)} s` : `${+(v / 60).toFixed(1)} min`));
  const fmt = y === 'power' ? (_u, v) => fmtW(v) : (_u, v) => fmtJ(v);
  return mount(el, {
    height, scales: { x: { time: false } },
    axes: [{ stroke: t.muted, grid: { stroke: t.grid, width: 1 }, values: xValues }, ...axes(t, y === 'power' ? wattTicks : energyTicks).slice(1)],
    series: [{ label: x === 'epoch' ? 'epoch' : 's since start' }, ...labels.map((label, i) => ({
      label, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: true, value: fmt, points: { show: x === 'epoch' },
    }))],
  }, data);
}

/** Aligns per-series maps (x → y) onto one sorted x array with nulls where a series has no point. */
export function align(maps) {
  const xs = [...new Set(maps.flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  return [xs, ...maps.map((m) => xs.map((x) => m.get(x) ?? null))];
}
