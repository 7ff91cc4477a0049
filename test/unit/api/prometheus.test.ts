import { it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeLabel, formatValue, PromWriter } from '../../../src/api/prometheus.js';

it('escapes label values and help text as the text format requires', () => {
  assert.equal(escapeLabel('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  const text = new PromWriter()
    .family('x_total', 'counter', 'help with \\ and\nnewline', [[{ run_id: 'r"1' }, 1.5], [{}, 2]])
    .family('y', 'gauge', 'no samples', [])
    .text();
  assert.equal(text, [
    '# HELP x_total help with \\\\ and\\nnewline',
    '# TYPE x_total counter',
    'x_total{run_id="r\\"1"} 1.5',
    'x_total 2',
    '# HELP y no samples',
    '# TYPE y gauge',
    '',
  ].join('\n'));
});

it('formats special floats the Prometheus way', () => {
  assert.equal(formatValue(Number.NaN), 'NaN');
  assert.equal(formatValue(Infinity), '+Inf');
  assert.equal(formatValue(-Infinity), '-Inf');
  assert.equal(formatValue(1e-7), '1e-7');
});
