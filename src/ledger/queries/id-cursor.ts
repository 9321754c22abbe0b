import { ValidationError } from '../errors.js';
import { isId } from '../persistence/database.js';

/** A Relay cursor that names one row by its id, and the prefix that tells one connection's cursors from another's. */
export interface IdCursor {
  encode(id: string): string;
  /** The id a cursor names; a ValidationError on `after` for anything this connection did not hand out. */
  decode(cursor: string): string;
}

/**
 * The cursor of a connection walked by (created_at, id) from a named row (holds, reviews): base64url
 * of `prefix` + id. A cursor decodes only if it is exactly what `encode` gives for an id, so a
 * cursor of another connection, or one edited by hand, is refused rather than read as another row.
 */
export function idCursor(prefix: string): IdCursor {
  const encode = (id: string): string => Buffer.from(`${prefix}${id}`).toString('base64url');
  return {
    encode,
    decode(cursor) {
      const text = Buffer.from(cursor, 'base64url').toString('utf8');
      const id = text.slice(prefix.length);
      if (!text.startsWith(prefix) || !isId(id) || encode(id) !== cursor) {
        throw new ValidationError('after is not a cursor of this connection.', 'after');
      }
      return id;
    },
  };
}
