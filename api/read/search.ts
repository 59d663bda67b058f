/**
 * Search over items: the 督办编号, title, description, source, creator, the units' names and the
 * lead unit's contacts, as kept in `items.search_text` by the insert/update trigger (migration
 * 20261128010000_item_numbers). Chinese has no spaces between words, and the database's C locale
 * makes pg_trgm ignore Chinese characters, so the index is on character bigrams
 * (`search_grams`, GIN): a word of two or more characters is looked up by its bigrams, then
 * checked as a whole against the text. A single character has no bigram and is matched against
 * the text alone (a scan; it matches most items anyway).
 */
import type { Prisma } from '../../generated/prisma/client';
import { likeLiteral } from './like';

/** The query as search_text is written (SQL `search_normal`): ASCII folded, brackets as a number's 〔〕, blanks as one space. */
export function searchNormal(text: string): string {
  const brackets: Record<string, string> = {
    '[': '〔',
    ']': '〕',
    '【': '〔',
    '】': '〕',
    '(': '〔',
    ')': '〕',
    '（': '〔',
    '）': '〕',
  };
  return text
    .replace(/[A-Z]/g, (c) => c.toLowerCase())
    .replace(/[[\]【】()（）]/g, (c) => brackets[c]!)
    .replace(/[\s\u3000]+/g, ' ')
    .trim();
}

/** The pairs of adjacent characters of a word (by code point, as PostgreSQL counts characters). */
export function bigrams(word: string): string[] {
  const chars = [...word];
  return [...new Set(chars.slice(1).map((c, i) => chars[i]! + c))];
}

/** Items whose text holds every word of the query. */
function matchAll(words: string[]): Prisma.ItemWhereInput {
  return {
    AND: words.map((w) => {
      const contains = { searchText: { contains: likeLiteral(w) } };
      return [...w].length >= 2 ? { ...contains, searchGrams: { hasEvery: bigrams(w) } } : contains;
    }),
  };
}

/**
 * The query as ranked tiers, each a filter, disjoint, best first: the 督办编号 or system id itself, then items
 * whose title holds every word, then the rest that match (description, units, people). Empty
 * when the query has no word.
 */
export function searchTiers(q: string): Prisma.ItemWhereInput[] {
  const normal = searchNormal(q);
  if (normal === '') return [];
  const words = [...new Set(normal.split(' '))];
  const match = matchAll(words);
  // A number is written with the office's prefix as stored (not folded), brackets made 〔〕; the
  // system id (I2BB6CBA2685, DEMO-2026-08: older mails and exports carry it) is exact too.
  const exact: Prisma.ItemWhereInput = {
    OR: [{ number: q.trim().replace(/[[\]【】()（）]/g, (c) => searchNormal(c)) }, { id: q.trim().toUpperCase() }],
  };
  const inTitle: Prisma.ItemWhereInput = {
    AND: words.map((w) => ({ title: { contains: likeLiteral(w), mode: 'insensitive' as const } })),
  };
  return [exact, { AND: [match, inTitle, { NOT: exact }] }, { AND: [match, { NOT: inTitle }, { NOT: exact }] }];
}
