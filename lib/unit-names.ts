/**
 * How a unit is named to people, and how a name people wrote is turned back into a unit.
 * Names are unique among siblings only (two cities may each have a 市发展改革委), so a name
 * shared by several units is shown with its parents' names, `嘉兴市/市发展改革委`, as far up as
 * it takes to tell them apart; and a name in an import that several units bear is refused with
 * the qualified forms to choose from.
 */
import { coUnitsOpenMessage, type Refusal } from '../domain/item';
import type { Db } from './db';

export interface NamedUnit {
  id: string;
  name: string;
  parentId: string | null;
}

/** Separates the names of a qualified unit name: `嘉兴市/市发展改革委`. */
export const UNIT_PATH_SEPARATOR = '/';

/** The names from the root down to the unit (a cycle in bad data ends the walk). */
function pathOf(byId: Map<string, NamedUnit>, unit: NamedUnit): string[] {
  const names = [unit.name];
  const seen = new Set([unit.id]);
  for (let at = unit.parentId ? byId.get(unit.parentId) : undefined; at && !seen.has(at.id);) {
    names.unshift(at.name);
    seen.add(at.id);
    at = at.parentId ? byId.get(at.parentId) : undefined;
  }
  return names;
}

/**
 * Each unit's label: its name when no other unit bears it, else its name under as many of its
 * parents' names as tell it apart from the others of that name.
 */
export function unitLabels(units: readonly NamedUnit[]): Map<string, string> {
  const byId = new Map(units.map((u) => [u.id, u]));
  const byName = new Map<string, NamedUnit[]>();
  for (const u of units) byName.set(u.name, [...(byName.get(u.name) ?? []), u]);
  const labels = new Map<string, string>();
  for (const group of byName.values()) {
    if (group.length === 1) {
      labels.set(group[0]!.id, group[0]!.name);
      continue;
    }
    const paths = group.map((u) => pathOf(byId, u));
    const longest = Math.max(...paths.map((p) => p.length));
    // The shortest tail of the path that no other unit of the name shares.
    group.forEach((u, i) => {
      const path = paths[i]!;
      for (let n = 2; n <= longest; n++) {
        const tail = path.slice(-n).join(UNIT_PATH_SEPARATOR);
        if (paths.every((p, j) => j === i || p.slice(-n).join(UNIT_PATH_SEPARATOR) !== tail) || n >= path.length) {
          labels.set(u.id, tail);
          return;
        }
      }
      labels.set(u.id, path.join(UNIT_PATH_SEPARATOR));
    });
  }
  return labels;
}

/** Labels of every unit, read from the database (the tree is small: one query). */
export async function loadUnitLabels(db: Pick<Db, 'unit'>): Promise<Map<string, string>> {
  return unitLabels(await db.unit.findMany({ select: { id: true, name: true, parentId: true } }));
}

export type UnitLookup = { id: string } | { reason: string };

/**
 * Resolves what an import names a unit by: its id, its name when only one unit bears it, or a
 * qualified name (`嘉兴市/市发展改革委`, the parents' names as far up as needed). A name several
 * units bear is refused, naming the qualified forms to write instead; an unknown one too.
 */
export function unitResolver(units: readonly NamedUnit[]): (ref: string) => UnitLookup {
  const byId = new Map(units.map((u) => [u.id, u]));
  const labels = unitLabels(units);
  const paths = units.map((u) => ({ id: u.id, path: pathOf(byId, u) }));
  return (raw) => {
    const ref = raw.trim();
    if (byId.has(ref)) return { id: ref };
    if (ref === '') return { reason: '单位不能为空' };
    const parts = ref
      .split(UNIT_PATH_SEPARATOR)
      .map((p) => p.trim())
      .filter(Boolean);
    // A name as it stands (it may hold the separator itself); else a qualified name, which
    // matches the tail of a unit's path of names.
    const named = units.filter((u) => u.name === ref);
    const matches = named.length
      ? named.map((u) => ({ id: u.id }))
      : paths.filter(
          (p) =>
            p.path.length >= parts.length &&
            parts.every((name, i) => p.path[p.path.length - parts.length + i] === name),
        );
    if (matches.length === 1) return { id: matches[0]!.id };
    if (matches.length === 0) return { reason: `单位“${ref}”不存在` };
    const forms = matches
      .map((m) => `“${labels.get(m.id)}”`)
      .slice(0, 5)
      .join('、');
    return {
      reason: `单位名称“${ref}”不唯一（有 ${matches.length} 个同名单位），请写明上级单位，如${forms}，或使用单位编号`,
    };
  };
}

/**
 * A refusal from `decide` as people read it: the co-units holding up closure named by their
 * labels, not their ids (the workflow, which words the refusal, knows no names).
 */
export async function withUnitNames<R extends Omit<Refusal, 'ok'>>(db: Pick<Db, 'unit'>, refusal: R): Promise<R> {
  if (!refusal.openCoUnits?.length) return refusal;
  const labels = await loadUnitLabels(db);
  return { ...refusal, message: coUnitsOpenMessage(refusal.openCoUnits.map((id) => labels.get(id) ?? id)) };
}
