/**
 * Changing an item's classes after it was opened, and the taxonomy itself. An item's classes
 * live in its row (the workflow records them once, when it opens the item); each change here
 * updates the row and appends its history (`item_class_changes`, append-only) in one
 * transaction. The route's audit entry (api/audit.ts) records the request as well.
 */
import { isWholeTreeSupervisor, type Actor } from '../domain/actors';
import {
  applyChange,
  ClassesChangeSchema,
  DEFAULT_SOURCE,
  labelClasses,
  sameClasses,
  TERM_KIND_LABELS,
  termRefusal,
  type Commonality,
  type ItemClasses,
  type StoredClasses,
  type Taxonomy,
  type Term,
  type TermBody,
  type TermKind,
} from '../domain/classes';
import { can } from '../domain/permissions';
import { badRequest, forbidden, notFound, type FieldError } from './errors';
import { loadTaxonomy, storedClasses } from './read/classes';
import type { Services } from './services';
import { itemsVisibleSql } from './visibility';

export type { ItemClasses } from '../domain/classes';

const FIELD_LABELS: Record<string, string> = {
  sourceCode: '来源类别',
  commonality: '共性/个性',
  domainCode: '领域',
  tags: '标签',
};

/** A refusal naming the first bad field in Chinese, every bad field in `fields`. */
function refusal(fields: FieldError[]) {
  const first = fields[0]!;
  const name = first.field.replace(/^body\./, '').split('.')[0]!;
  return badRequest(fields, `${FIELD_LABELS[name] ?? name}有误：${first.reason}`);
}

/** Why the codes of the new classes cannot be used (unknown, or deactivated and not the item's already), as field errors. */
export function classesRefusals(
  taxonomy: Taxonomy,
  next: Pick<StoredClasses, 'sourceCode' | 'domainCode'>,
  current?: Pick<StoredClasses, 'sourceCode' | 'domainCode'>,
  prefix = 'body',
): FieldError[] {
  const out: FieldError[] = [];
  const source = termRefusal(taxonomy.sources, 'source', next.sourceCode, current?.sourceCode);
  if (source) out.push({ field: `${prefix}.sourceCode`, reason: source });
  if (next.domainCode !== null) {
    const domain = termRefusal(taxonomy.domains, 'domain', next.domainCode, current?.domainCode);
    if (domain) out.push({ field: `${prefix}.domainCode`, reason: domain });
  }
  return out;
}

/**
 * Checks the classes an item is opened with against the taxonomy (400 naming 来源类别 or 领域);
 * the API's default source when none is given.
 */
export async function checkOpeningClasses<T extends { sourceCode?: string; domainCode?: string }>(
  s: Services,
  spec: T,
  prefix = 'body',
): Promise<T & { sourceCode: string }> {
  const sourceCode = spec.sourceCode ?? DEFAULT_SOURCE;
  const bad = classesRefusals(
    await loadTaxonomy(s.db),
    { sourceCode, domainCode: spec.domainCode ?? null },
    undefined,
    prefix,
  );
  if (bad.length > 0) throw refusal(bad);
  return { ...spec, sourceCode };
}

/**
 * Changes an item's classes: the fields given are the new values (null clears 共性/个性 or the
 * domain); nothing given that differs is no change (no history row). Self-found follows the
 * source's flag in the taxonomy. 404 for an item the actor does not see.
 */
export async function changeItemClasses(
  s: Services,
  actor: Actor,
  itemId: string,
  change: {
    sourceCode?: string;
    commonality?: Commonality | null;
    domainCode?: string | null;
    tags?: string[];
  },
): Promise<ItemClasses> {
  if (!can(actor.role, 'classes.edit')) throw forbidden('您的角色不能修改事项的来源与分类');
  const parsed = ClassesChangeSchema.safeParse(change);
  if (!parsed.success)
    throw refusal(
      parsed.error.issues.map((i) => ({ field: ['body', ...i.path.map(String)].join('.'), reason: i.message })),
    );
  const taxonomy = await loadTaxonomy(s.db);
  const at = new Date(s.now?.() ?? Date.now());
  return s.db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<
      Array<{
        source_code: string;
        commonality: Commonality | null;
        domain_code: string | null;
        tags: string[];
        self_found: boolean;
      }>
    >`SELECT source_code, commonality, domain_code, tags, self_found FROM items
      WHERE id = ${itemId} AND ${itemsVisibleSql(actor)} FOR UPDATE`;
    if (!rows[0]) throw notFound();
    const { selfFound, ...from } = storedClasses(rows[0]);
    const to = applyChange(from, parsed.data);
    const bad = classesRefusals(taxonomy, to, from);
    if (bad.length > 0) throw refusal(bad);
    if (sameClasses(from, to)) return labelClasses(taxonomy, { ...from, selfFound });
    const flag =
      to.sourceCode === from.sourceCode
        ? selfFound
        : (taxonomy.sources.find((t) => t.code === to.sourceCode)?.selfFound ?? false);
    // 自查自纠 earns the unit a bonus in the 管控力指数: a district supervisor must not be able to
    // grant it (or take it away) by reclassifying his own units' items.
    if (flag !== selfFound && !isWholeTreeSupervisor(actor))
      throw forbidden('是否属于自查自纠计入管控力指数，只有管辖全部单位的督查专员可以更改');
    await tx.$executeRaw`
      UPDATE items SET source_code = ${to.sourceCode}, commonality = ${to.commonality}, domain_code = ${to.domainCode},
                       tags = ${to.tags}::text[], self_found = ${flag}
      WHERE id = ${itemId}`;
    await tx.$executeRaw`
      INSERT INTO item_class_changes (item_id, changed_by, changed_by_name, changed_at, from_classes, to_classes)
      VALUES (${itemId}, ${actor.userId}, ${actor.name}, ${at}, ${JSON.stringify(from)}::jsonb, ${JSON.stringify(to)}::jsonb)`;
    return labelClasses(taxonomy, { ...to, selfFound: flag });
  });
}

/**
 * Adds a term or changes one: its label, whether new items may name it, its place, and for a
 * source whether it counts as self-found (for items opened from now on). A term is never
 * deleted — items name it — only deactivated.
 */
export async function putTerm(s: Services, actor: Actor, kind: TermKind, code: string, body: TermBody): Promise<Term> {
  if (!can(actor.role, 'taxonomy.manage')) throw forbidden('只有系统管理员可以维护来源类别与领域');
  if (kind === 'domain' && body.selfFound)
    throw badRequest(
      [{ field: 'body.selfFound', reason: '只有来源类别可以标记为自查自纠' }],
      '自查自纠标记有误：只有来源类别可以标记为自查自纠',
    );
  const taxonomy = await loadTaxonomy(s.db);
  const terms = kind === 'source' ? taxonomy.sources : taxonomy.domains;
  const clash = terms.find((t) => t.label === body.label && t.code !== code);
  if (clash)
    throw badRequest(
      [{ field: 'body.label', reason: `名称“${body.label}”已被${TERM_KIND_LABELS[kind]}“${clash.code}”使用` }],
      `名称有误：“${body.label}”已被${TERM_KIND_LABELS[kind]}“${clash.code}”使用`,
    );
  const position =
    body.position ?? terms.find((t) => t.code === code)?.position ?? Math.max(0, ...terms.map((t) => t.position)) + 1;
  const at = new Date(s.now?.() ?? Date.now());
  await s.db.$executeRaw`
    INSERT INTO classification_terms (kind, code, label, self_found, position, active, updated_by, updated_at)
    VALUES (${kind}, ${code}, ${body.label}, ${body.selfFound}, ${position}, ${body.active}, ${actor.userId}, ${at})
    ON CONFLICT (kind, code) DO UPDATE SET label = EXCLUDED.label, self_found = EXCLUDED.self_found,
      position = EXCLUDED.position, active = EXCLUDED.active, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`;
  return { code, label: body.label, selfFound: body.selfFound, active: body.active, position };
}
