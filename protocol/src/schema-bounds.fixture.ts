/**
 * Walks a valibot schema and names every part of it that admits unbounded input: an array
 * without a most-items check, a string without a most-characters (or exact length) check, a
 * record (any number of keys). Tests run it over every request schema, so a schema added later
 * cannot forget its bounds (issue 18, finding 2: 100,000 scopes were once accepted).
 *
 * It reads valibot's schema objects (`kind`, `type`, `pipe`, `item`, `entries`, `options`,
 * `wrapped`): the library's documented data model, the same one `@valibot/to-json-schema` reads.
 */

interface Node {
  readonly kind?: unknown;
  readonly type?: unknown;
  readonly pipe?: readonly Node[];
  readonly item?: Node;
  readonly items?: readonly Node[];
  readonly rest?: Node;
  readonly entries?: Readonly<Record<string, Node>>;
  readonly options?: readonly Node[];
  readonly wrapped?: Node;
  readonly key?: Node;
  readonly value?: Node;
  readonly requirement?: unknown;
  readonly getter?: unknown;
}

/** Actions that bound a string's or an array's size from above. */
const bounding = new Set(['max_length', 'length', 'max_bytes', 'bytes', 'max_size', 'size']);

/** Types whose values are fixed or bounded by nature (`picklist`, `literal`, numbers, …). */
const bounded = new Set([
  'boolean',
  'number',
  'bigint',
  'literal',
  'picklist',
  'enum',
  'null',
  'undefined',
  'unknown_never',
  'never',
]);

function isSchema(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && (value as Node).kind === 'schema';
}

/** Whether a schema exported by a module is a valibot schema (for walking a module's exports). */
export function isValibotSchema(value: unknown): boolean {
  return isSchema(value);
}

function hasBound(node: Node): boolean {
  const [first] = node.pipe ?? [];
  // `v.pipe(v.pipe(v.string(), v.maxLength(n)), …)`: the bound sits in the inner pipe.
  if (first !== undefined && first !== node && isSchema(first) && first.pipe !== undefined) {
    if (hasBound(first)) return true;
  }
  return (node.pipe ?? []).some(
    (action) =>
      action.kind === 'validation' &&
      typeof action.type === 'string' &&
      bounding.has(action.type) &&
      typeof action.requirement === 'number',
  );
}

/**
 * The dotted paths of the unbounded parts of `schema` (`scopes[]`, `name`), empty when every
 * array and string in it has an upper bound.
 */
export function unboundedParts(schema: unknown, path = '$'): string[] {
  const found: string[] = [];
  walk(schema, path, found, new Set());
  return found;
}

function walk(value: unknown, path: string, found: string[], seen: Set<unknown>): void {
  if (!isSchema(value) || seen.has(value)) return;
  seen.add(value);
  const node = value;
  switch (node.type) {
    case 'string':
    case 'array':
    case 'tuple_with_rest':
    case 'loose_tuple':
      if (!hasBound(node)) found.push(`${path} (${node.type} without a maximum)`);
      break;
    case 'record':
      // A record is bounded by a most-entries check; its keys and values are walked below.
      if (!(node.pipe ?? []).some((action) => action.type === 'max_entries')) {
        found.push(`${path} (record without a maximum number of entries)`);
      }
      break;
    case 'map':
    case 'set':
    case 'loose_object':
    case 'object_with_rest':
      found.push(`${path} (${node.type}: any number of members)`);
      break;
    case 'lazy':
      found.push(`${path} (lazy: cannot be checked)`);
      break;
    default:
      break;
  }
  if (typeof node.type === 'string' && bounded.has(node.type)) return;
  // `v.pipe(a, action, b)` checks `a` first; a schema later in the pipe sees a's output
  // (after a transform), which is ours, not the sender's.
  if (node.item !== undefined) walk(node.item, `${path}[]`, found, seen);
  if (node.key !== undefined) walk(node.key, `${path}{key}`, found, seen);
  if (node.value !== undefined) walk(node.value, `${path}{value}`, found, seen);
  for (const [index, item] of (node.items ?? []).entries()) {
    walk(item, `${path}[${index}]`, found, seen);
  }
  if (node.rest !== undefined) walk(node.rest, `${path}[…]`, found, seen);
  for (const [key, entry] of Object.entries(node.entries ?? {})) {
    walk(entry, `${path}.${key}`, found, seen);
  }
  for (const option of node.options ?? []) walk(option, path, found, seen);
  if (node.wrapped !== undefined) walk(node.wrapped, path, found, seen);
}
