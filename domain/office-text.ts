import { CATEGORIES, PRIORITIES } from './commands';
import { CATEGORY_LABELS, PRIORITY_LABELS, type Category, type Priority } from './labels';

/**
 * How offices write what an import carries (a list of units in one cell, a date, a category in
 * words): pure readers that turn it into what the domain takes. Each leaves what it cannot read
 * as it was, so the schema that checks it next names the field and the value.
 */

/** Other words offices use for the same category or priority. */
const CATEGORY_WORDS: Record<string, Category> = {
  重点任务: 'annual_task',
  年度任务: 'annual_task',
  会议决定事项: 'meeting_decision',
  会议议定: 'meeting_decision',
  会议决定: 'meeting_decision',
  批示: 'leader_instruction',
  领导交办: 'leader_instruction',
  督查检查: 'inspection',
  督查发现问题: 'inspection',
  督查发现: 'inspection',
  监测: 'monitoring',
  群众诉求: 'complaint',
  群众投诉: 'complaint',
  信访: 'complaint',
};
const PRIORITY_WORDS: Record<string, Priority> = {
  普通: 'normal',
  较急: 'high',
  急: 'high',
  加急: 'urgent',
  特急: 'urgent',
};

function fromWords<T extends string>(
  text: string,
  codes: readonly T[],
  labels: Record<T, string>,
  words: Record<string, T>,
) {
  const t = text.trim();
  const code = codes.find((c) => c === t.toLowerCase());
  if (code) return code;
  return (Object.keys(labels) as T[]).find((c) => labels[c] === t) ?? words[t] ?? t;
}

/** A category written as its code (`inspection`) or in words (`督查检查发现`); anything else unchanged. */
export const categoryFrom = (text: string): string => fromWords(text, CATEGORIES, CATEGORY_LABELS, CATEGORY_WORDS);

/** A priority written as its code (`urgent`) or in words (`紧急`); anything else unchanged. */
export const priorityFrom = (text: string): string => fromWords(text, PRIORITIES, PRIORITY_LABELS, PRIORITY_WORDS);

/** What a category or priority may be written as, for an error message. */
export const categoryChoices = () => CATEGORIES.map((c) => CATEGORY_LABELS[c]).join('、');
export const priorityChoices = () => PRIORITIES.map((p) => PRIORITY_LABELS[p]).join('、');

const OPENING: Record<string, string> = {
  '(': ')',
  '（': '）',
  '[': ']',
  '【': '】',
  '〔': '〕',
  '《': '》',
  '“': '”',
  '‘': '’',
};
const SEPARATORS = new Set(['、', '，', ',', ';', '；']);

/** Characters a copy from a web page or a chat often carries along, invisible: zero-width spaces and joiners, BOM, word joiner. */
const ZERO_WIDTH = /[\u200B-\u200D\uFEFF\u2060]/g;

/**
 * A unit name as it is stored and looked up: without zero-width characters and without the
 * whitespace around it (full-width spaces too). A name that is empty after this is no name.
 */
export function cleanUnitName(text: string): string {
  return text.replace(ZERO_WIDTH, '').trim();
}

/**
 * The form two unit names are compared in (never stored): cleaned, and with full-width round
 * brackets as ASCII ones, so `嘉兴市各县（市、区）社会建设委员会` and `嘉兴市各县(市、区)社会建设委员会`
 * name the same unit.
 */
export function unitNameKey(text: string): string {
  return cleanUnitName(text).replace(/（/g, '(').replace(/）/g, ')');
}

/**
 * A list of units as offices write it in one cell: `市民政局、市财政局；嘉兴市各县(市、区)社会建设委员会`.
 * Split on 、 ， , ; ； only outside brackets — () （） [] 【】 〔〕 《》 — and quotes — “” "" ‘’ —,
 * each name trimmed (zero-width characters dropped) and out of its quotes, empty ones dropped. A bracket left open keeps the rest of the cell in that
 * name, so a name is never cut in two by a separator it contains.
 */
export function splitUnitList(text: string): string[] {
  const out: string[] = [];
  const open: string[] = []; // the closers we are waiting for, innermost last
  let name = '';
  for (const c of text.replace(ZERO_WIDTH, '')) {
    if (open.length > 0 && c === open[open.length - 1]) open.pop();
    else if (c === '"' && open[open.length - 1] !== '"') open.push('"');
    else if (OPENING[c] !== undefined) open.push(OPENING[c]);
    else if (open.length === 0 && SEPARATORS.has(c)) {
      out.push(name);
      name = '';
      continue;
    }
    name += c;
  }
  out.push(name);
  return out.map(unquote).filter((n) => n !== '');
}

/** A name trimmed, and out of the quotes that kept it whole (`“甲、乙联合办公室”` → `甲、乙联合办公室`). */
function unquote(name: string): string {
  const n = name.trim();
  const close = n.length > 1 && (n[0] === '"' || n[0] === '“' || n[0] === '‘') ? (OPENING[n[0]] ?? '"') : undefined;
  return close !== undefined && n.endsWith(close) ? n.slice(1, -1).trim() : n;
}

const FULL_WIDTH_DIGIT = /[０-９]/g;

/**
 * A date as offices write it — 2026-12-31, 2026/12/31, 2026.12.31, 2026年12月31日 (months and
 * days with or without a leading zero, full-width digits too) — as YYYY-MM-DD. Whether that day
 * exists is left to the schema (2026-02-30 comes back as `2026-02-30` and is refused there);
 * text that is no date at all comes back unchanged.
 */
export function officeDate(text: string): string {
  const t = text.trim().replace(FULL_WIDTH_DIGIT, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
  const m =
    /^(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})$/.exec(t) ??
    /^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$/.exec(t);
  if (!m) return text;
  const [y, mo, d] = m.length === 5 ? [m[1], m[3], m[4]] : [m[1], m[2], m[3]];
  return `${y}-${mo!.padStart(2, '0')}-${d!.padStart(2, '0')}`;
}

/** The forms officeDate reads, for an error message. */
export const OFFICE_DATE_FORMATS = '2026-12-31、2026/12/31、2026年12月31日 或 2026.12.31';
