/** The unit tree (city → district → township, bureaus): pure helpers over its rows. */
export interface UnitNode {
  id: string;
  parentId: string | null;
}

/** The root and every unit below it, root first. Cycles in bad data end the walk, not the process. */
export function subtree(units: readonly UnitNode[], rootId: string): string[] {
  const children = new Map<string, string[]>();
  for (const u of units) if (u.parentId) children.set(u.parentId, [...(children.get(u.parentId) ?? []), u.id]);
  const out: string[] = [];
  const seen = new Set<string>();
  const stack = [rootId];
  while (stack.length) {
    const id = stack.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
    stack.push(...(children.get(id) ?? []).slice().reverse());
  }
  return out;
}

/**
 * Unit kinds (units.kind) as offices name them: the one table behind every label of a kind — the
 * 管控力指数 peer groups, the 举一反三 form's 按单位类型, the monitoring rankings.
 */
export const UNIT_KIND_LABELS: Record<string, string> = {
  city: '市级单位',
  district: '区（县、市）',
  township: '乡镇（街道）',
  bureau: '政府部门',
  party: '党群部门',
  supervision: '督查机构',
  other: '其他单位',
};

/** A kind's label; an unknown kind as it is stored. */
export const unitKindLabel = (kind: string): string => UNIT_KIND_LABELS[kind] ?? kind;
