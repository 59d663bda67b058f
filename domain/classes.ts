/**
 * Sources and classes: where a problem came from (来源类别, from a taxonomy the administrator
 * edits) and how it is classed (共性/个性, a domain, tags). Pure: the taxonomy is read by
 * api/read/classes.ts and handed in.
 */
import { z } from 'zod';

export const TERM_KINDS = ['source', 'domain'] as const;
export type TermKind = (typeof TERM_KINDS)[number];
export const TERM_KIND_LABELS: Record<TermKind, string> = { source: '来源类别', domain: '领域' };

export const COMMONALITIES = ['common', 'individual'] as const;
export type Commonality = (typeof COMMONALITIES)[number];
export const COMMONALITY_LABELS: Record<Commonality, string> = { common: '共性', individual: '个性' };

/** The source an item names when nobody says otherwise: what the office did before sources existed. */
export const DEFAULT_SOURCE = 'ducha';
/** Items opened from red indicators (activities/monitoring.ts). */
export const MONITORING_SOURCE = 'jiance';

export const MAX_TAGS = 10;
export const MAX_TAG_CHARS = 20;

export interface Term {
  code: string;
  label: string;
  selfFound: boolean;
  active: boolean;
  position: number;
}

export interface Taxonomy {
  sources: Term[];
  domains: Term[];
}

/** The seeded taxonomy (the migration inserts the same rows): the province's 七张问题清单 and more. */
export const DEFAULT_SOURCES: ReadonlyArray<[string, string]> = [
  ['xunshi', '巡视巡察'],
  ['shenji', '审计'],
  ['ducha', '督查检查'],
  ['huanbao', '环保督察'],
  ['anquan', '安全生产'],
  ['yuqing', '舆情'],
  ['xinfang', '信访'],
  ['renda', '人大政协'],
  ['zhuanban', '上级转办'],
  ['pishi', '领导批示'],
  ['jiance', '监测预警'],
  ['zicha', '自查自纠'],
];
export const DEFAULT_DOMAINS: ReadonlyArray<[string, string]> = [
  ['anquan-shengchan', '安全生产'],
  ['shipin-anquan', '食品安全'],
  ['shengtai-huanjing', '生态环境'],
  ['chengshi-guanli', '城市管理'],
  ['minsheng', '民生保障'],
  ['jingji', '经济发展'],
  ['dangjian', '党的建设'],
  ['qita', '其他'],
];

export const TermCode = z
  .string()
  .trim()
  .min(1, '不能为空')
  .max(40, '不能超过 40 个字符')
  .regex(/^[a-z][a-z0-9-]*$/, '代码只能由小写字母、数字和连字符组成，以字母开头');

const Tag = z.string().trim().min(1, '标签不能为空').max(MAX_TAG_CHARS, `每个标签不能超过 ${MAX_TAG_CHARS} 个字符`);
export const TagsSchema = z.array(Tag).max(MAX_TAGS, `标签最多 ${MAX_TAGS} 个`);

/**
 * The classes an item is opened with (CreateItem's optional fields). No defaults here: the
 * workflow's input takes the same schema, and an item opened before classes existed must read
 * exactly as it did (the API fills in the default source).
 */
export const ItemClassFields = {
  sourceCode: TermCode.optional(),
  commonality: z.enum(COMMONALITIES, '应为 common（共性）或 individual（个性）').optional(),
  domainCode: TermCode.optional(),
  tags: TagsSchema.optional(),
};

/** PATCH /api/items/:id/classes: the fields given are the new values; null clears a class. */
export const ClassesChangeSchema = z
  .strictObject({
    sourceCode: TermCode.optional(),
    commonality: z.enum(COMMONALITIES, '应为 common（共性）或 individual（个性）').nullable().optional(),
    domainCode: TermCode.nullable().optional(),
    tags: TagsSchema.optional(),
  })
  .refine((c) => Object.values(c).some((v) => v !== undefined), '请至少修改一项分类');
export type ClassesChange = z.infer<typeof ClassesChangeSchema>;

/** PUT /api/classification/:kind/:code: a term's label, whether it is in use for new items, its place, and (sources) self-found. */
export const TermBodySchema = z.strictObject({
  label: z.string().trim().min(1, '不能为空').max(40, '不能超过 40 个字符'),
  active: z.boolean().default(true),
  position: z.number('应为整数').int('应为整数').min(0).max(10_000).optional(),
  selfFound: z.boolean().default(false),
});
export type TermBody = z.infer<typeof TermBodySchema>;

/** An item's classes as stored in its row. */
export interface StoredClasses {
  sourceCode: string;
  commonality: Commonality | null;
  domainCode: string | null;
  tags: string[];
}

/** The classes as the API shows them: with their labels and the self-found flag. */
export interface ItemClasses extends StoredClasses {
  sourceLabel: string;
  selfFound: boolean;
  domainLabel: string | null;
}

/** Tags as kept: trimmed, each once, in the order given. */
export function normalTags(tags: readonly string[]): string[] {
  return [...new Set(tags.map((t) => t.trim()).filter((t) => t !== ''))];
}

/**
 * Why a code cannot be given to an item, or null: it must be a term of its kind that is in use.
 * `current` is the item's present code, which stays acceptable after it was deactivated (a
 * change of its other classes must not be refused for it).
 */
export function termRefusal(
  terms: readonly Term[],
  kind: TermKind,
  code: string,
  current?: string | null,
): string | null {
  const term = terms.find((t) => t.code === code);
  if (!term) return `${TERM_KIND_LABELS[kind]}“${code}”不存在，应为 ${choices(terms)} 之一`;
  if (!term.active && code !== current) return `${TERM_KIND_LABELS[kind]}“${term.label}”已停用`;
  return null;
}

function choices(terms: readonly Term[]): string {
  return terms
    .filter((t) => t.active)
    .map((t) => `${t.code}（${t.label}）`)
    .join('、');
}

/**
 * A cell as offices write it made a code: the code itself, or a term's label ("自查自纠"), or
 * its label without a trailing 类 (where the taxonomy has such), or the short form offices use
 * for a label ("巡视" or "巡察" for 巡视巡察, "审计" after 审计 was renamed 审计监督) when exactly one
 * term's label holds it; undefined for anything else, an ambiguous short form included (the
 * check then names it).
 */
export function termFrom(terms: readonly Term[], text: string): string | undefined {
  const t = text.trim().replace(/类$/, '');
  if (t === '') return undefined;
  const exact = terms.find((x) => x.code === text.trim() || x.label === text.trim() || x.label === t);
  if (exact) return exact.code;
  const holding = t.length >= 2 ? terms.filter((x) => x.label.includes(t)) : [];
  return holding.length === 1 ? holding[0]!.code : undefined;
}

/** 共性 / 个性 in words (or the code). */
export function commonalityFrom(text: string): Commonality | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (t === 'common' || t === '共性' || t === '共性问题') return 'common';
  if (t === 'individual' || t === '个性' || t === '个性问题') return 'individual';
  return undefined;
}

/** Tags as a cell writes them: separated by 、，,;； or spaces. */
export function splitTags(text: string): string[] {
  return normalTags(text.split(/[、，,;；\s]+/));
}

/** The stored classes with their labels (a code no longer in the taxonomy shows as itself). */
export function labelClasses(taxonomy: Taxonomy, c: StoredClasses & { selfFound: boolean }): ItemClasses {
  const source = taxonomy.sources.find((t) => t.code === c.sourceCode);
  const domain = c.domainCode === null ? undefined : taxonomy.domains.find((t) => t.code === c.domainCode);
  return {
    sourceCode: c.sourceCode,
    sourceLabel: source?.label ?? c.sourceCode,
    selfFound: c.selfFound,
    commonality: c.commonality,
    domainCode: c.domainCode,
    domainLabel: c.domainCode === null ? null : (domain?.label ?? c.domainCode),
    tags: c.tags,
  };
}

/** What a change makes of the stored classes (fields not given stay). */
export function applyChange(from: StoredClasses, change: ClassesChange): StoredClasses {
  return {
    sourceCode: change.sourceCode ?? from.sourceCode,
    commonality: change.commonality === undefined ? from.commonality : change.commonality,
    domainCode: change.domainCode === undefined ? from.domainCode : change.domainCode,
    tags: change.tags === undefined ? from.tags : normalTags(change.tags),
  };
}

export function sameClasses(a: StoredClasses, b: StoredClasses): boolean {
  return (
    a.sourceCode === b.sourceCode &&
    a.commonality === b.commonality &&
    a.domainCode === b.domainCode &&
    a.tags.join('\u0000') === b.tags.join('\u0000')
  );
}
