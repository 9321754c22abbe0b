/**
 * A payee's name as a payer sees it before paying: enough to recognise "Bob Smith" as
 * "B*** S****", never enough to learn the name. The mask has a fixed shape, so it leaks neither
 * the length of a name nor how many middle names it has: the first word's initial and three
 * stars, then, for a name of two words or more, the last word's initial and four stars.
 * A user without a full name is masked from the username, as one word.
 */
const FIRST_WORD_STARS = '***';
const LAST_WORD_STARS = '****';

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** The first user-perceived character (an accented letter or an emoji stays whole), upper-cased. */
function initialOf(word: string): string {
  const first = graphemes.segment(word)[Symbol.iterator]().next();
  return first.done ? '' : first.value.segment.toUpperCase();
}

export function maskHolderName(fullName: string | null | undefined, username: string): string {
  const name = fullName?.trim() ? fullName : username;
  const words = name.trim().split(/\s+/u).filter((word) => word !== '');
  const first = words[0] ?? '?';
  const masked = `${initialOf(first)}${FIRST_WORD_STARS}`;
  return words.length < 2 ? masked : `${masked} ${initialOf(words.at(-1)!)}${LAST_WORD_STARS}`;
}
