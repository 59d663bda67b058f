/**
 * How a unit is named to people, and how a name people wrote is turned back into a unit.
 * Names are unique among siblings only (two cities may each have a 市发展改革委), so a name
 * shared by several units is shown with its parents' names, `嘉兴市/市发展改革委`, as far up as
 * it takes to tell them apart; and a name in an import that several units bear is refused with
 * the qualified forms to choose from.
 */
import { coUnitsOpenMessage, type Refusal } from '../domain/item';
import { cleanUnitName, unitNameKey } from '../domain/office-text';
import type { Db } from './db';
import { shortCache } from './short-cache';

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

/** A path's last `n` names, compared as unit names are (zero-width characters, spaces, brackets). */
const tailKey = (path: readonly string[], n: number) => path.slice(-n).map(unitNameKey).join(UNIT_PATH_SEPARATOR);

/**
 * Each unit's label: its name when no other unit bears it, else its name under as many of its
 * parents' names as tell it apart from the others of that name. Names are compared as a lookup
 * compares them (`（）` and `()` alike), so two units a lookup cannot tell apart are labelled apart.
 */
export function unitLabels(units: readonly NamedUnit[]): Map<string, string> {
  const byId = new Map(units.map((u) => [u.id, u]));
  const byName = new Map<string, NamedUnit[]>();
  for (const u of units) byName.set(unitNameKey(u.name), [...(byName.get(unitNameKey(u.name)) ?? []), u]);
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
        const tail = tailKey(path, n);
        if (paths.every((p, j) => j === i || tailKey(p, n) !== tail) || n >= path.length) {
          labels.set(u.id, path.slice(-n).join(UNIT_PATH_SEPARATOR));
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

/**
 * The unit ids this process has seen, read again at most every UNIT_IDS_CACHE_MS. Units are never
 * deleted (a restore from backup aside), so a known id stays known; an id not among them is asked
 * of the database before it is refused, so a unit added a moment ago is never turned away.
 */
export const UNIT_IDS_CACHE_MS = 5000;
const unitIds = shortCache(
  UNIT_IDS_CACHE_MS,
  async (db: Pick<Db, 'unit'>) => new Set((await db.unit.findMany({ select: { id: true } })).map((u) => u.id)),
);

/** Which of `ids` name no unit. */
export async function unknownUnitIds(db: Pick<Db, 'unit'>, ids: readonly string[]): Promise<string[]> {
  const known = await unitIds.get(db);
  const unseen = [...new Set(ids.filter((id) => !known.has(id)))];
  if (unseen.length === 0) return [];
  const found = await db.unit.findMany({ where: { id: { in: unseen } }, select: { id: true } });
  for (const u of found) known.add(u.id);
  return unseen.filter((id) => !found.some((u) => u.id === id));
}

export type UnitLookup = { id: string } | { reason: string };

/** A reference copied with the quotes a hint wrote it in (`“嘉兴市/市发展改革委”`), without them. */
function unquoted(ref: string): string {
  const m = /^(?:“(.*)”|"(.*)"|‘(.*)’)$/s.exec(ref);
  return m ? cleanUnitName(m[1] ?? m[2] ?? m[3] ?? '') : ref;
}

/**
 * Resolves what an import names a unit by: its id, its name when only one unit bears it, or a
 * qualified name (`嘉兴市/市发展改革委`, the parents' names as far up as needed). Names are compared
 * without zero-width characters and surrounding spaces, and with `（）` read as `()`. A name
 * several units bear is refused, naming for each a form that this lookup resolves to it (the
 * shortest qualified name that does, else its id); an unknown one too.
 */
export function unitResolver(units: readonly NamedUnit[]): (ref: string) => UnitLookup {
  const byId = new Map(units.map((u) => [u.id, u]));
  const paths = new Map(units.map((u) => [u.id, pathOf(byId, u)]));
  // Every unit under its name (a tail of one name) and under each qualified form of it (longer tails).
  const byName = new Map<string, string[]>();
  const byTail = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, key: string, id: string) => {
    const ids = map.get(key);
    if (ids) ids.push(id);
    else map.set(key, [id]);
  };
  for (const [id, path] of paths) {
    add(byName, tailKey(path, 1), id);
    for (let n = 2; n <= path.length; n++) add(byTail, tailKey(path, n), id);
  }
  /** The units a reference names: by name as it stands (it may hold the separator itself), else by a qualified name. */
  const candidates = (ref: string): string[] => {
    const key = unitNameKey(ref);
    const named = byName.get(key);
    if (named) return named;
    const parts = ref.split(UNIT_PATH_SEPARATOR).map(unitNameKey).filter(Boolean);
    return byTail.get(parts.join(UNIT_PATH_SEPARATOR)) ?? [];
  };
  /** How to write this unit so that it is found and no other: its shortest qualified name that is, else its id. */
  const unambiguous = (id: string): string => {
    const path = paths.get(id)!;
    for (let n = 2; n <= path.length; n++) {
      const form = path.slice(-n).join(UNIT_PATH_SEPARATOR);
      const found = candidates(form);
      if (found.length === 1 && found[0] === id) return `“${form}”`;
    }
    return `单位编号“${id}”`;
  };
  return (raw) => {
    const ref = cleanUnitName(raw);
    if (byId.has(ref)) return { id: ref };
    if (ref === '') return { reason: '单位不能为空' };
    let matches = candidates(ref);
    // Not found as written: perhaps copied from a hint with its quotes.
    const bare = unquoted(ref);
    if (matches.length === 0 && bare !== ref) {
      if (byId.has(bare)) return { id: bare };
      matches = candidates(bare);
    }
    if (matches.length === 1) return { id: matches[0]! };
    if (matches.length === 0) return { reason: `单位“${ref}”不存在` };
    const forms = matches.slice(0, 5).map(unambiguous).join('、');
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
