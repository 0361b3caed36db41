/**
 * Sets `key` in a Map used as a bounded cache: at `max` entries the oldest
 * one goes first (Maps iterate in insertion order), and a key set again
 * moves to the newest place.
 */
export function rememberBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  map.set(key, value);
}
