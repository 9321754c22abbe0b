import { describe, expect, it } from 'vitest';
import { maskHolderName } from '../../src/auth/holder-name.js';

describe('maskHolderName: a fixed shape that leaks neither length nor middle names', () => {
  it.each([
    ['Bob Smith', 'bob', 'B*** S****'],
    ['Bartholomew Smith-Jones', 'bart', 'B*** S****'],
    ['Ana María de la Cruz', 'ana', 'A*** C****'],
    ['  bob   smith  ', 'bob', 'B*** S****'],
    ['Émile Zola', 'emile', 'É*** Z****'],
    ['Cher', 'cher', 'C***'],
    [null, 'bob', 'B***'],
    ['', 'alice.w', 'A***'],
    ['   ', 'carol', 'C***'],
  ])('%j (username %s) is %s', (fullName, username, masked) => {
    expect(maskHolderName(fullName, username)).toBe(masked);
  });
});
