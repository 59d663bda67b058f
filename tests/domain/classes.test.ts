import { describe, expect, it } from 'vitest';
import { DEFAULT_DOMAINS, DEFAULT_SOURCES, termFrom, type Term } from '../../domain/classes';

const terms = (rows: ReadonlyArray<[string, string]>): Term[] =>
  rows.map(([code, label], position) => ({ code, label, selfFound: code === 'zicha', active: true, position }));

describe('a 来源类别 cell read as offices write it', () => {
  const sources = terms(DEFAULT_SOURCES);

  it('takes the code, the label, and the label with 类', () => {
    expect(termFrom(sources, 'zicha')).toBe('zicha');
    expect(termFrom(sources, ' 自查自纠 ')).toBe('zicha');
    expect(termFrom(sources, '审计类')).toBe('shenji');
  });

  it('takes the short form when exactly one label holds it', () => {
    expect(termFrom(sources, '巡视')).toBe('xunshi');
    expect(termFrom(sources, '巡察')).toBe('xunshi');
    expect(termFrom(sources, '环保')).toBe('huanbao');
    expect(termFrom(sources, '政协')).toBe('renda');
    expect(termFrom(sources, '批示')).toBe('pishi');
  });

  it('keeps an old short name working after a rename, and refuses what is ambiguous or unknown', () => {
    const renamed = sources.map((t) => (t.code === 'shenji' ? { ...t, label: '审计监督' } : t));
    expect(termFrom(renamed, '审计')).toBe('shenji');
    // One character is too little to read; 安全 is in 安全生产 and in 食品安全.
    expect(termFrom(sources, '查')).toBeUndefined();
    expect(termFrom(terms(DEFAULT_DOMAINS), '安全')).toBeUndefined();
    expect(termFrom(sources, '群众来信')).toBeUndefined();
  });
});
