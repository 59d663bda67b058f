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
