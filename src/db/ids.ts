const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are opaque to clients; anything that is not one of ours is simply not found. */
export function isId(text: string): boolean {
  return UUID_SHAPE.test(text);
}

/**
 * The one spelling of an id inside Tally: lower case, as PostgreSQL prints a `uuid`. PostgreSQL
 * compares uuids case-insensitively, but the ledger keys locked rows and requests by text, so an
 * upper-case id must become the canonical one at the edge, before anything compares or hashes it.
 * Text that is not a UUID is returned as it is (and is then simply not found).
 */
export function canonicalId(text: string): string {
  return isId(text) ? text.toLowerCase() : text;
}
