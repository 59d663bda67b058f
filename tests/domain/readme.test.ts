import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { STATUSES, TRANSITIONS, type Status } from '../../domain/item';
import { ROOT } from '../../lib/root';

/** The README's state table, as state → { action → next states }. */
function readmeTable(): Map<Status, Map<string, string[]>> {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.search(/^\|\s*state\s*\|\s*actions \(→ next state\)\s*\|/m);
  expect(start, 'the state table is in the README').toBeGreaterThan(0);
  const rows = readme
    .slice(start)
    .split('\n')
    .slice(2)
    .filter((_, i, all) => all.slice(0, i + 1).every((l) => l.startsWith('|')));
  const table = new Map<Status, Map<string, string[]>>();
  for (const row of rows) {
    const [states, actions] = row
      .split('|')
      .slice(1, 3)
      .map((c) => c.trim());
    const byAction = new Map<string, string[]>();
    if (actions !== '—')
      for (const part of actions!.split('·')) {
        const [action, next] = part.split('→').map((s) => s.trim());
        byAction.set(action!, next ? next.replace(/\s*\(.*\)$/, '').split(/\s*\/\s*/) : []);
      }
    for (const state of states!.split(',').map((s) => s.trim())) table.set(state as Status, byAction);
  }
  return table;
}

describe('README', () => {
  it('the state table names every state, and in each the actions TRANSITIONS allows with the states they lead to', () => {
    const table = readmeTable();
    expect([...table.keys()].sort()).toEqual([...STATUSES].sort());
    for (const state of STATUSES) {
      const written = table.get(state)!;
      const allowed = TRANSITIONS[state];
      expect([...written.keys()].sort(), state).toEqual(Object.keys(allowed).sort());
      for (const [action, next] of Object.entries(allowed)) {
        // The table writes a state change (→) only where the action leaves the state or may choose among states.
        const changes = next.length > 1 || next[0] !== state;
        if (changes && !(state === 'suspended' && action === 'resume'))
          expect(written.get(action), `${state} ${action}`).toEqual([...next]);
      }
    }
  });
});
