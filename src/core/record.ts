/**
 * An object keyed by data (service names), as `Object.fromEntries` builds it, but in V8's dictionary
 * mode from the start. A plain object gets a hidden class per set of keys, and every object whose first
 * key is new adds a transition to the empty object's hidden class; that one holds at most 1,536. A
 * record per release keyed by its service (thousands of releases) fills it, and from then on objects
 * anywhere in the process that need a new transition there get a hidden class each (~0.3 kB apiece,
 * and copies of them again). A dictionary-mode object adds no transition. Same prototype, same keys:
 * nothing else can tell the difference.
 */
export function recordOf<V>(entries: Iterable<readonly [string, V]>): Record<string, V> {
  const record = Object.create(null) as Record<string, V>;
  for (const [key, value] of entries) record[key] = value;
  // Setting the prototype keeps the dictionary mode Object.create(null) started in.
  return Object.setPrototypeOf(record, Object.prototype) as Record<string, V>;
}
