import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decide, createItem, type Item } from '../../domain/item';
import { ItemSchema, parseItem } from '../../domain/item-schema';
import { CycleReportSchema } from '../../domain/monitoring';
import { leadA, supervisor } from '../support/actors';

// Every report the cycle activity writes is one the schema reads, and the schema names every field
// it writes: the activity types the report it stores as the schema's output (`CycleReport`,
// activities/monitoring.ts), so the compiler checks both there.

const here = path.dirname(fileURLToPath(import.meta.url));

/** Every item a recorded history carries (Update results, the workflow's result), as the workflow of its day wrote it. */
function recordedItems(): Array<{ file: string; item: Record<string, unknown> }> {
  const dir = path.join(here, '../replay/histories');
  const out: Array<{ file: string; item: Record<string, unknown> }> = [];
  const itemsIn = (x: unknown): Array<Record<string, unknown>> => {
    if (Array.isArray(x)) return x.flatMap(itemsIn);
    if (!x || typeof x !== 'object') return [];
    const o = x as Record<string, unknown>;
    return [...('coParts' in o && 'status' in o ? [o] : []), ...Object.values(o).flatMap(itemsIn)];
  };
  const walk = (file: string, node: unknown): void => {
    if (Array.isArray(node)) return node.forEach((n) => walk(file, n));
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (typeof o.data === 'string' && o.metadata) {
      try {
        const items = itemsIn(JSON.parse(Buffer.from(o.data, 'base64').toString('utf8')));
        out.push(...items.map((item) => ({ file, item })));
      } catch {
        // Not JSON: not an item.
      }
      return;
    }
    Object.values(o).forEach((v) => walk(file, v));
  };
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')))
    walk(file, JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
  return out;
}

describe('stored item snapshots are parsed, not cast', () => {
  const fresh = createItem({
    id: 'I1',
    problemListId: null,
    spec: {
      title: '消防通道整改',
      description: '',
      category: 'inspection',
      priority: 'normal',
      source: '',
      leadUnitId: 'unit-a',
      coUnitIds: ['unit-c'],
      dueDate: '2026-12-31',
    },
    createdBy: { ...supervisor, jurisdiction: ['unit-a', 'unit-c'] },
    createdAt: '2026-11-02T01:00:00.000Z',
    config: { maxDeclines: 2 },
  });

  it('reads an item as the current workflow writes it back unchanged, through JSON as PostgreSQL keeps it', () => {
    const signed = decide(fresh, { action: 'sign', payload: { note: '' }, actor: leadA }, '2026-11-02T02:00:00.000Z');
    expect(signed.ok).toBe(true);
    for (const item of [fresh, (signed as { item: Item }).item])
      expect(parseItem(JSON.parse(JSON.stringify(item)))).toEqual(item);
  });

  it('reads what older workflow versions wrote: no relapseCount before 回头看, no deadlines before the ladder', () => {
    const { relapseCount: _r, deadlines: _d, ...old } = fresh;
    expect(parseItem(old)).toEqual({ ...fresh, relapseCount: 0, deadlines: null });
  });

  it('reads every item in the recorded histories, from before the ladder to now', () => {
    const items = recordedItems();
    const files = new Set(items.map((i) => i.file));
    expect(files.has('pre-ladder-full-loop-two-returns.json') && files.has('overdue-ladder-reinspection.json')).toBe(
      true,
    );
    for (const { file, item } of items) {
      const parsed = ItemSchema.safeParse(item);
      expect(parsed.success, `${file}: ${parsed.error?.message}`).toBe(true);
    }
    const preLadder = items.filter((i) => i.file.startsWith('pre-ladder-'));
    expect(preLadder.length).toBeGreaterThan(0);
    for (const { item } of preLadder) expect(parseItem(item)).toMatchObject({ relapseCount: 0, deadlines: null });
  });

  it('refuses a snapshot that is not an item', () => {
    expect(() => parseItem({ ...fresh, status: 'lost' })).toThrow();
    expect(() => parseItem({ ...fresh, status: 'closed' })).toThrow(); // a closed item knows when it closed
    expect(() => parseItem({ ...fresh, coParts: 'unit-c' })).toThrow();
  });
});

describe('stored cycle reports are parsed, not cast', () => {
  const standing = {
    unitId: 'unit-a',
    group: 'bureau',
    indicators: 1,
    reported: 1,
    score: 1.2,
    rank: 1,
    ranked: true,
    lights: { green: 1, yellow: 0, red: 0 },
    toRise: null,
  };
  const report = {
    cycleId: 'P-2026-10',
    planId: 'P',
    period: '2026-10',
    elapsed: 0.83,
    publishedAt: '2026-11-10T00:00:00.000Z',
    indicators: [
      {
        code: 'A',
        name: 'A',
        ownerUnitId: 'unit-a',
        category: '民生',
        weight: 1,
        value: 90,
        progress: 1,
        pace: 1.2,
        light: 'green',
        missing: false,
      },
    ],
    standings: [standing],
    requests: [{ unitId: 'unit-a', asked: 1, chased: 0, completedAt: null }],
    reds: [],
  };

  it('reads a report as published now, and one from before per-category scores and not-applicable indicators', () => {
    const now = { ...report, notApplicable: ['B'], standings: [{ ...standing, byCategory: { 民生: 1.2 } }] };
    expect(CycleReportSchema.parse(JSON.parse(JSON.stringify(now)))).toEqual(now);
    expect(CycleReportSchema.parse(report)).toEqual({
      ...report,
      notApplicable: [],
      standings: [{ ...standing, byCategory: {} }],
    });
  });

  it('reads a report whose scores overflowed and were stored as null', () => {
    const overflowed = {
      ...report,
      notApplicable: [],
      standings: [
        {
          ...standing,
          score: null,
          byCategory: { 民生: null },
          toRise: { scoreGap: null, aboveUnitId: 'unit-b', options: [{ code: 'A', valueNeeded: null }] },
        },
      ],
    };
    expect(CycleReportSchema.parse(overflowed)).toEqual(overflowed);
  });
});
