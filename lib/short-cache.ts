/**
 * What the API reads on every request but people change rarely (deadline policies, the unit
 * tree), kept by this process for a short bound: a change made through this process is seen at
 * once (`forget()`), one made by another process within `ms`.
 */
export interface ShortCache<K extends object, V> {
  get(key: K): Promise<V>;
  /** This process has changed what the values are read from: read them again next time. */
  forget(): void;
}

/** One value per key (a database client), loaded by `load` and used for up to `ms`. */
export function shortCache<K extends object, V>(ms: number, load: (key: K) => Promise<V>): ShortCache<K, V> {
  const entries = new WeakMap<K, { at: number; generation: number; value: Promise<V> }>();
  let generation = 0;
  return {
    get(key) {
      const hit = entries.get(key);
      if (hit && hit.generation === generation && Date.now() - hit.at < ms) return hit.value;
      // A load that a forget() overtakes is kept under the old generation: never used.
      const entry = { at: Date.now(), generation, value: load(key) };
      entries.set(key, entry);
      entry.value.catch(() => {
        if (entries.get(key) === entry) entries.delete(key);
      });
      return entry.value;
    },
    forget() {
      generation++;
    },
  };
}
