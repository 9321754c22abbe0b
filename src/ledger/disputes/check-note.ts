import { ValidationError } from '../errors.js';

// Control characters in free text break statements, logs and terminals downstream.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Optional free text of a dispute (its description, a step's note): at most `maxLength` characters, no control characters. */
export function checkNote(text: string | null, field: string, maxLength: number): ValidationError | undefined {
  if (text === null) return undefined;
  if (text.length > maxLength) return new ValidationError(`${field} may have at most ${maxLength} characters.`, field);
  if (CONTROL_CHARACTERS.test(text)) return new ValidationError(`${field} may not contain control characters.`, field);
  return undefined;
}
