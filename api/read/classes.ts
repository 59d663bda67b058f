/** The taxonomy of sources and domains, an item's classes and their history, as read from PostgreSQL. */
import type { Actor } from '../../domain/actors';
import {
  labelClasses,
  type Commonality,
  type ItemClasses,
  type StoredClasses,
  type Taxonomy,
  type Term,
  type TermKind,
} from '../../domain/classes';
import { Prisma } from '../../generated/prisma/client';
import type { Db } from '../../lib/db';
import { notFound } from '../errors';
import type { Services } from '../services';
import { itemsVisibleSql } from '../visibility';

interface TermRow {
  kind: TermKind;
  code: string;
  label: string;
  self_found: boolean;
  active: boolean;
  position: number;
}

/** Every term, each kind in its order (position, then code). */
export async function loadTaxonomy(db: Db): Promise<Taxonomy> {
  const rows = await db.$queryRaw<TermRow[]>`
    SELECT kind, code, label, self_found, active, position FROM classification_terms ORDER BY kind, position, code`;
  const term = (r: TermRow): Term => ({
    code: r.code,
    label: r.label,
    selfFound: r.self_found,
    active: r.active,
    position: r.position,
  });
  return {
    sources: rows.filter((r) => r.kind === 'source').map(term),
    domains: rows.filter((r) => r.kind === 'domain').map(term),
  };
}

export interface ClassRow {
  source_code: string;
  commonality: Commonality | null;
  domain_code: string | null;
  tags: string[];
  self_found: boolean;
}

export const storedClasses = (r: ClassRow): StoredClasses & { selfFound: boolean } => ({
  sourceCode: r.source_code,
  commonality: r.commonality,
  domainCode: r.domain_code,
  tags: r.tags,
  selfFound: r.self_found,
});

/**
 * The classes' columns of an `items` row with the labels of its terms, for a query `FROM items`:
 * the item page and an action's answer read them in the statement they already make.
 */
export const CLASS_COLUMNS = Prisma.sql`items.source_code, items.commonality, items.domain_code, items.tags, items.self_found,
  (SELECT label FROM classification_terms WHERE kind = 'source' AND code = items.source_code) AS source_label,
  (SELECT label FROM classification_terms WHERE kind = 'domain' AND code = items.domain_code) AS domain_label`;

export interface LabelledClassRow extends ClassRow {
  source_label: string | null;
  domain_label: string | null;
}

/** A row read with `CLASS_COLUMNS` as the API shows its classes (a code no longer in the taxonomy shows as itself). */
export function classesOfRow(r: LabelledClassRow): ItemClasses {
  return {
    sourceCode: r.source_code,
    sourceLabel: r.source_label ?? r.source_code,
    selfFound: r.self_found,
    commonality: r.commonality,
    domainCode: r.domain_code,
    domainLabel: r.domain_code === null ? null : (r.domain_label ?? r.domain_code),
    tags: r.tags,
  };
}

/** The classes of the items given (those that exist), labelled; one query for the rows, one for the taxonomy. */
export async function classesOf(db: Db, itemIds: readonly string[]): Promise<Map<string, ItemClasses>> {
  if (itemIds.length === 0) return new Map();
  const [rows, taxonomy] = await Promise.all([
    db.$queryRaw<Array<ClassRow & { id: string }>>`
      SELECT id, source_code, commonality, domain_code, tags, self_found FROM items WHERE id = ANY(${[...itemIds]}::text[])`,
    loadTaxonomy(db),
  ]);
  return new Map(rows.map((r) => [r.id, labelClasses(taxonomy, storedClasses(r))]));
}

/** An item's classes, if the caller sees the item (else 404, like an unknown id). */
export async function itemClasses(s: Services, actor: Actor, itemId: string): Promise<ItemClasses> {
  const rows = await s.db.$queryRaw<LabelledClassRow[]>`
    SELECT ${CLASS_COLUMNS} FROM items WHERE id = ${itemId} AND ${itemsVisibleSql(actor)}`;
  if (!rows[0]) throw notFound();
  return classesOfRow(rows[0]);
}

interface ChangeRow {
  id: bigint;
  changed_by: string;
  changed_by_name: string;
  changed_at: Date;
  from_classes: StoredClasses;
  to_classes: StoredClasses;
}

/** Every change of an item's classes since it was opened, oldest first, labelled by today's taxonomy. */
export async function classesHistory(s: Services, actor: Actor, itemId: string) {
  const current = await itemClasses(s, actor, itemId);
  const [rows, taxonomy] = await Promise.all([
    s.db.$queryRaw<ChangeRow[]>`
      SELECT id, changed_by, changed_by_name, changed_at, from_classes, to_classes
      FROM item_class_changes WHERE item_id = ${itemId} ORDER BY id`,
    loadTaxonomy(s.db),
  ]);
  // Self-found follows the source's flag when it changes; the history shows the classes people chose.
  const label = (c: StoredClasses) => {
    const { selfFound: _flag, ...rest } = labelClasses(taxonomy, { ...c, selfFound: false });
    return rest;
  };
  return {
    itemId,
    current,
    changes: rows.map((r) => ({
      id: String(r.id),
      changedBy: r.changed_by,
      changedByName: r.changed_by_name,
      changedAt: r.changed_at.toISOString(),
      from: label(r.from_classes),
      to: label(r.to_classes),
    })),
  };
}
