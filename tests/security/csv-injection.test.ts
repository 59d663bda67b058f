import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerCsv, type Ledger } from '../../api/read/ledger';
import { csvCell, parseCsv, toCsv } from '../../lib/csv';
import { supervisor } from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';

/** Titles a spreadsheet would run as formulas (OWASP "CSV Injection"). */
const FORMULAS = ['=HYPERLINK("http://x","点我")', '+1+1', '-1+1', '@SUM(1)', "=cmd|' /C calc'!A0"];

describe('csvCell: one cell of every CSV the product writes', () => {
  it('neutralises a string that begins with =, +, -, @, tab or carriage return: a leading quote, inside quotes', () => {
    expect(csvCell('=HYPERLINK("http://x","点我")')).toBe(`"'=HYPERLINK(""http://x"",""点我"")"`);
    expect(csvCell('+1+1')).toBe(`"'+1+1"`);
    expect(csvCell('-1+1')).toBe(`"'-1+1"`);
    expect(csvCell('@SUM(1)')).toBe(`"'@SUM(1)"`);
    expect(csvCell("=cmd|' /C calc'!A0")).toBe(`"'=cmd|' /C calc'!A0"`);
    expect(csvCell('\t=1+1')).toBe(`"'\t=1+1"`);
    expect(csvCell('\r=1+1')).toBe(`"'\r=1+1"`);
    expect(csvCell('-')).toBe(`"'-"`);
  });

  it('leaves other text as it was, quoting only what needs quotes', () => {
    expect(csvCell('消防通道被占用')).toBe('消防通道被占用');
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvCell('2026-12-31')).toBe('2026-12-31');
    expect(csvCell('甲,乙')).toBe('"甲,乙"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('')).toBe('');
    expect(csvCell(null)).toBe('');
  });

  it('writes numbers the product typed as numbers, negative ones included', () => {
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(0)).toBe('0');
    expect(csvCell(12.5)).toBe('12.5');
  });

  it('reads back as the text with its leading quote, every formula as text', () => {
    const rows = parseCsv(toCsv([['title', 'n'], ...FORMULAS.map((f) => [f, -1])]));
    expect(rows.slice(1)).toEqual(FORMULAS.map((f) => [`'${f}`, '-1']));
  });

  it('is what the ledger CSV is written with', () => {
    const ledger = {
      deadlines: [],
      calendarChanges: [],
      pauses: [],
      extensions: [
        {
          requestedAt: '2026-03-01T00:00:00.000Z',
          requestedDueDate: '2026-04-01',
          requestedBy: '=evil()',
          decision: { approved: true, by: '@SUM(1)', at: '2026-03-02' },
        },
      ],
      rungs: [],
      coUnits: [{ unitId: '+unit', state: 'pending', deadline: '2026-04-01' }],
      urges: [
        { at: '2026-03-03T02:00:00.000Z', by: 'u1', byName: '=督查员', text: '=HYPERLINK("x")', unitIds: ['-u'] },
      ],
      interviews: [],
      days: [],
    } as unknown as Ledger;
    const rows = parseCsv(ledgerCsv(ledger));
    expect(rows.find((r) => r[0] === 'urge')).toEqual([
      'urge',
      '2026-03-03',
      '',
      `'=HYPERLINK("x")`,
      "'-u",
      "'=督查员",
    ]);
    expect(rows.find((r) => r[0] === 'extension')).toEqual([
      'extension',
      '2026-03-01',
      'closure',
      'requested 2026-04-01 by =evil()',
      'approved',
      "'@SUM(1) 2026-03-02",
    ]);
    expect(rows.find((r) => r[0] === 'co-unit')?.[3]).toBe("'+unit");
  });
});

describe('GET /api/items/export with formula titles', () => {
  let stack: ApiStack;
  beforeAll(async () => {
    stack = await startApiStack(uniqueTaskQueue('csv-injection'));
  }, 60_000);
  afterAll(() => stack?.close());

  it('writes every formula title as text, and the typed numbers as numbers', async () => {
    const ids = new Map<string, string>();
    for (const title of [...FORMULAS, '普通标题']) {
      const res = await stack.app.inject({
        method: 'POST',
        url: '/api/items',
        headers: bearer(supervisor),
        payload: { title, leadUnitId: 'unit-a', dueDate: DUE },
      });
      expect(res.statusCode, res.body).toBe(201);
      ids.set(res.json().item.id, title);
    }
    const res = await stack.app.inject({ method: 'GET', url: '/api/items/export', headers: bearer(supervisor) });
    expect(res.statusCode, res.body).toBe(200);
    const [header, ...rows] = parseCsv(res.body);
    const title = header!.indexOf('标题');
    const returns = header!.indexOf('退回次数');
    const exported = new Map(rows.map((r) => [r[0]!, r]));
    for (const [id, t] of ids) {
      const row = exported.get(id);
      expect(row, id).toBeDefined();
      expect(row![title]).toBe(t === '普通标题' ? t : `'${t}`);
      expect(row![returns]).toBe('0');
    }
    // On the wire: no cell begins with a formula character (each row's cells split by parsing).
    for (const r of rows) for (const cell of r) expect(cell, cell).not.toMatch(/^[=+\-@\t\r]/);
    expect(res.body).toContain(`,"'=HYPERLINK(""http://x"",""点我"")",`);
    expect(res.body).toContain(`,"'=cmd|' /C calc'!A0",`);
  });
});
