import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProjectionJson } from '../../../src/analysis/estimators/index.js';
import { budgetVerdict, energyText, parseEnergy } from '../../../src/runs/budget.js';

test('parseEnergy: the contract forms and their neighbours, in joules', () => {
  assert.equal(parseEnergy('2.5kWh'), 9e6);
  assert.equal(parseEnergy('9000kJ'), 9e6);
  assert.equal(parseEnergy('500J'), 500);
  assert.equal(parseEnergy(' 1.2 MJ '), 1.2e6);
  assert.equal(parseEnergy('3wh'), 10_800);
  assert.equal(parseEnergy('.5kwh'), 1.8e6);
});

test('parseEnergy: no unit, an unknown unit, zero, negative and junk are clear errors', () => {
  for (const bad of ['500', '5 kW', '0J', '-5kJ', 'kWh', '1e3J', '', '2.5.1kWh', 'five J']) {
    assert.throws(() => parseEnergy(bad), (e: Error & { code?: string }) => e.code === 'PROF_ERR_INVALID' && /J, kJ, MJ|above zero/.test(e.message), bad);
  }
});

test('energyText picks a readable unit', () => {
  assert.equal(energyText(812), '812 J');
  assert.equal(energyText(12_300), '12.3 kJ');
  assert.equal(energyText(9e6), '9.00 MJ (2.50 kWh)');
});

const proj = (over: Partial<ProjectionJson>): ProjectionJson => ({
  powerBasedJ: 1200, epochEnergyBasedJ: 1000, windowEpochs: 5, stableFromEpoch: 3, provisional: false, powerBased: null, epochEnergyBased: null,
  bands: { powerBasedJ: [1100, 1300], epochEnergyBasedJ: [900, 1100] }, ...over,
});

test('budgetVerdict: measured energy alone passes the budget whatever the projection', () => {
  const v = budgetVerdict({ limitJ: 500, action: 'warn' }, 501, null, null);
  assert.match(v ?? '', /^measured 501 J is above the budget of 500 J$/);
  assert.equal(budgetVerdict({ limitJ: 500, action: 'warn' }, 500, null, null), null, 'at the limit is not above it');
});

test('budgetVerdict: the projection counts only when confident, complete, and its band low end is above the limit', () => {
  const spec = { limitJ: 850, action: 'stop' as const };
  assert.match(budgetVerdict(spec, 10, proj({}), { confident: true }) ?? '', /projected 1.00 kJ \(epoch-energy; 95 % band from 900 J\) is above the budget of 850 J/);
  assert.equal(budgetVerdict({ ...spec, limitJ: 950 }, 10, proj({}), { confident: true }), null, 'the band reaches below the limit: not sure enough');
  assert.equal(budgetVerdict(spec, 10, proj({ provisional: true }), { confident: true }), null, 'window not complete');
  assert.equal(budgetVerdict(spec, 10, proj({}), { confident: false }), null, 'stabilization not settled');
  assert.equal(budgetVerdict(spec, 10, proj({ bands: null }), { confident: true }), null, 'no band, no claim');
  const powerOnly = proj({ bands: { powerBasedJ: [1100, 1300], epochEnergyBasedJ: null } });
  assert.match(budgetVerdict(spec, 10, powerOnly, { confident: true }) ?? '', /power-based; 95 % band from 1.10 kJ/);
});
